import PaperflowCLI

bootstrapLogging()
PaperflowCommand.main()
