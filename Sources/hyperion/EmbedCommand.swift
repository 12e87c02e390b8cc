import ArgumentParser
import Foundation
import HyperionEmbedding
import HyperionServer

#if canImport(Glibc)
import Glibc
#endif

/// `hyperion embed`: JSON lines `{"text": …}` on stdin → `{"text","input_ids","embedding"}` per line on stdout, in order.
struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed JSON lines {\"text\": …} from stdin; write {\"text\",\"input_ids\",\"embedding\"} lines to stdout."
    )

    @Option(help: "Model folder (default: embedding.model_path).") var model: String?
    @Option(help: "Texts per batch.") var batch: Int = 32
    @OptionGroup var options: ConfigOptions

    struct Input: Decodable { let text: String }
    struct Output: Encodable {
        let text: String
        let input_ids: [Int]
        let embedding: [Float]
    }

    func run() async throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        try await reportingStartupErrors {
            let settings = try ServerSettings(reader: try await options.reader())
            let folder = model.map { URL(fileURLWithPath: $0) } ?? settings.embedding.modelPath
            let embedder = try SentenceEmbedder(modelFolder: folder, threads: settings.embedding.threads, batchSize: batch)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            let showProgress = isatty(2) == 1
            var pending: [String] = []
            var lineNumber = 0
            var done = 0
            func flush() throws {
                guard !pending.isEmpty else { return }
                let vectors = try embedder.embedBatch(pending)
                var out = Data()
                for (text, vector) in zip(pending, vectors) {
                    out.append(try encoder.encode(Output(text: text, input_ids: embedder.tokenize(text), embedding: vector)))
                    out.append(0x0A)
                }
                FileHandle.standardOutput.write(out)
                done += pending.count
                pending.removeAll(keepingCapacity: true)
                if showProgress { FileHandle.standardError.write(Data("\rembedded \(done)".utf8)) }
            }
            while let line = readLine(strippingNewline: true) {
                lineNumber += 1
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                guard let input = try? JSONDecoder().decode(Input.self, from: Data(line.utf8)) else {
                    throw ValidationError("line \(lineNumber): expected a JSON object with a string field \"text\"")
                }
                pending.append(input.text)
                if pending.count >= batch { try flush() }
            }
            try flush()
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}
