import PaperflowCLI

PaperflowCommand.main()
