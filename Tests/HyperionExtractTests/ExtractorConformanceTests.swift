import HyperionConformance
import HyperionCore
import HyperionExtract
import Testing

extension ConformanceCheck: CustomTestStringConvertible {
    public var testDescription: String { name }
}

/// The embedded extractor against the suite every extractor must pass.
@Suite struct ExtractorConformanceTests {
    @Test(arguments: DocumentExtractorConformance.checks)
    func fileExtractor(_ check: ConformanceCheck<DocumentExtractorHarness>) async throws {
        try await check.run(DocumentExtractorHarness { FileExtractor() })
    }
}
