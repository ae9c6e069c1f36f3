import PaperflowCore

/// Every built-in stage plugin. The engine knows none of them by name; the CLI hands this list
/// to a `StageRegistry`.
public enum BuiltinStages {
    /// The descriptors of all built-in stages.
    public static var all: [PluginDescriptor] {
        [
            FileStage.descriptor,
            ExportStage.descriptor,
            ShellStage.descriptor,
            CSVStage.descriptor,
            TableCSVStage.descriptor,
            DeriveStage.descriptor,
            JoinStage.descriptor,
            SummariseStage.descriptor,
            QuantileGroupsStage.descriptor,
            ProportionZTestStage.descriptor,
            HarmonizeHSStage.descriptor,
            FilterFirmsStage.descriptor,
            AggregateTradeStage.descriptor,
            NewProductsStage.descriptor,
            RCAStage.descriptor,
            ComplexityStage.descriptor,
            CooccurrenceStage.descriptor,
            ProximityStage.descriptor,
            AverageRelatednessStage.descriptor,
            DensityStage.descriptor,
            ProductivityStage.descriptor,
            LocationQuotientStage.descriptor,
            SpecialisationStage.descriptor,
            CoagglomerationStage.descriptor,
            OLSStage.descriptor,
            FixedEffectsStage.descriptor,
            LinearProbabilityStage.descriptor,
            ProbitStage.descriptor,
            LogitStage.descriptor,
            GaussianMixtureStage.descriptor,
            NetworkBuildStage.descriptor,
            CentralityStage.descriptor,
            CorePeripheryStage.descriptor,
            RegressionTableStage.descriptor,
            DescriptiveTableStage.descriptor,
            CrossTabStage.descriptor,
            CompareStage.descriptor,
            DensityFigureStage.descriptor,
            BoxFigureStage.descriptor,
            BarFigureStage.descriptor,
            LineFigureStage.descriptor,
            DotFigureStage.descriptor,
            NetworkFigureStage.descriptor,
            CustomsGenerator.descriptor,
            ProvincePanelGenerator.descriptor,
            JiangsuGenerator.descriptor,
            SurveyGenerator.descriptor,
        ]
    }

    /// A registry of the built-in stages.
    public static var registry: StageRegistry { StageRegistry(all) }
}
