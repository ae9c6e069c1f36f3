import PaperflowCore

/// Every built-in stage plugin. The engine knows none of them by name; the CLI hands this list
/// to a `StageRegistry`.
public enum BuiltinStages {
    /// The descriptors of all built-in stages (made once: looking up each type's fingerprint
    /// by its name is not free).
    public static let all: [PluginDescriptor] = {
        [
            fingerprinted(FileStage.self),
            fingerprinted(ExportStage.self),
            fingerprinted(ShellStage.self),
            fingerprinted(CSVStage.self),
            fingerprinted(DTAStage.self),
            fingerprinted(TableDTAStage.self),
            fingerprinted(XLSXStage.self),
            fingerprinted(ParquetStage.self),
            fingerprinted(TableCSVStage.self),
            fingerprinted(DeriveStage.self),
            fingerprinted(JoinStage.self),
            fingerprinted(SummariseStage.self),
            fingerprinted(QuantileGroupsStage.self),
            fingerprinted(ProportionZTestStage.self),
            fingerprinted(HarmonizeHSStage.self),
            fingerprinted(FilterFirmsStage.self),
            fingerprinted(AggregateTradeStage.self),
            fingerprinted(NewProductsStage.self),
            fingerprinted(RCAStage.self),
            fingerprinted(ComplexityStage.self),
            fingerprinted(CooccurrenceStage.self),
            fingerprinted(ProximityStage.self),
            fingerprinted(AverageRelatednessStage.self),
            fingerprinted(DensityStage.self),
            fingerprinted(ProductivityStage.self),
            fingerprinted(LocationQuotientStage.self),
            fingerprinted(SpecialisationStage.self),
            fingerprinted(CoagglomerationStage.self),
            fingerprinted(OLSStage.self),
            fingerprinted(FixedEffectsStage.self),
            fingerprinted(LinearProbabilityStage.self),
            fingerprinted(ProbitStage.self),
            fingerprinted(LogitStage.self),
            fingerprinted(PoissonStage.self),
            fingerprinted(GaussianMixtureStage.self),
            fingerprinted(NetworkBuildStage.self),
            fingerprinted(CentralityStage.self),
            fingerprinted(CorePeripheryStage.self),
            fingerprinted(RegressionTableStage.self),
            fingerprinted(DescriptiveTableStage.self),
            fingerprinted(CrossTabStage.self),
            fingerprinted(CompareStage.self),
            fingerprinted(DensityFigureStage.self),
            fingerprinted(BoxFigureStage.self),
            fingerprinted(BarFigureStage.self),
            fingerprinted(LineFigureStage.self),
            fingerprinted(DotFigureStage.self),
            fingerprinted(ScatterFigureStage.self),
            fingerprinted(MapFigureStage.self),
            fingerprinted(NetworkFigureStage.self),
            fingerprinted(CustomsGenerator.self),
            fingerprinted(ProvincePanelGenerator.self),
            fingerprinted(JiangsuGenerator.self),
            fingerprinted(SurveyGenerator.self),
        ]
    }()

    /// The fingerprint of a built-in stage type's code and data, made at build time.
    public static func fingerprint(of type: any Stage.Type) -> String {
        // Every type in `all` is found by the generator (a test holds this); the whole build's
        // fingerprint is the safe answer for a type it could not see.
        BuiltinFingerprints.byType[ObjectIdentifier(type)] ?? BuiltinFingerprints.build
    }

    /// The fingerprint of everything the built-in stages are made of (run headers, locks).
    public static var buildFingerprint: String { BuiltinFingerprints.build }

    private static func fingerprinted<S: Stage>(_ type: S.Type) -> PluginDescriptor {
        S.descriptor(fingerprint: fingerprint(of: type))
    }

    /// A registry of the built-in stages.
    public static var registry: StageRegistry { StageRegistry(all) }
}
