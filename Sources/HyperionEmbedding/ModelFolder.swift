import Foundation

/// A sentence-transformers model folder, fully read and validated.
///
/// Layout: `modules.json` lists a Transformer (its files at the folder root or in its `path`),
/// a Pooling module (`1_Pooling/config.json`) and optionally a Normalize module. Without
/// `modules.json` the folder is taken as a plain BERT checkpoint with mean pooling, as
/// sentence-transformers does.
struct ModelFolder: Sendable {
    let url: URL
    let config: BertConfig
    let tokenizer: BertTokenizer
    let model: BertModel
    let pooling: Pooling
    let normalize: Bool
    /// `do_lower_case` of sentence_bert_config.json: lower-case the text before tokenising.
    let lowercaseInput: Bool
    /// Prompts of config_sentence_transformers.json by name ("query", "document").
    let prompts: [String: String]
    let defaultPromptName: String?

    static func load(_ url: URL) throws -> ModelFolder {
        let folder = url.standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EmbeddingError.missingFile(path: folder.path)
        }

        // modules.json: which folder holds the transformer, and the pooling / normalize modules.
        var transformerFolder = folder
        var poolingURL: URL?
        var normalize = false
        let modulesURL = folder.appendingPathComponent("modules.json")
        if JSONFile.exists(modulesURL) {
            let modules = try JSONFile.decode([Module].self, from: modulesURL).sorted { ($0.idx ?? 0) < ($1.idx ?? 0) }
            for (position, module) in modules.enumerated() {
                let kind = module.type.split(separator: ".").last.map(String.init) ?? module.type
                let path = module.path ?? ""
                switch kind {
                case "Transformer" where position == 0:
                    if !path.isEmpty { transformerFolder = folder.appendingPathComponent(path) }
                case "Pooling" where poolingURL == nil:
                    poolingURL = folder.appendingPathComponent(path).appendingPathComponent("config.json")
                case "Normalize":
                    normalize = true
                default:
                    throw EmbeddingError.unsupported(path: modulesURL.path, reason: "module \(module.type) at position \(position)")
                }
            }
            guard poolingURL != nil else {
                throw EmbeddingError.invalidFile(path: modulesURL.path, reason: "no Pooling module")
            }
        }

        let configURL = transformerFolder.appendingPathComponent("config.json")
        let config = try BertConfig.load(from: configURL)

        // sentence_bert_config.json: max_seq_length wins over the tokenizer's model_max_length.
        let sbertURL = transformerFolder.appendingPathComponent("sentence_bert_config.json")
        var sbert = SentenceBertConfig()
        if JSONFile.exists(sbertURL) { sbert = try JSONFile.decode(SentenceBertConfig.self, from: sbertURL) }
        if let length = sbert.max_seq_length, length < 2 {
            throw EmbeddingError.invalidFile(path: sbertURL.path, reason: "max_seq_length \(length) leaves no room for [CLS] and [SEP]")
        }
        let (loadedTokenizer, modelMaxLength) = try BertTokenizer.load(folder: transformerFolder, maxLength: nil)
        // sentence-transformers: max_seq_length, else min(max_position_embeddings, model_max_length). Never past
        // the position table, which has no rows beyond it.
        let maxLength = Swift.min(sbert.max_seq_length ?? modelMaxLength ?? config.maxPositions, config.maxPositions)
        let tokenizer = loadedTokenizer.truncating(at: maxLength)
        let largestID = tokenizer.wordPiece.vocab.values.max() ?? 0
        let specialIDs = tokenizer.specialTokens.map(\.id) + [tokenizer.clsID, tokenizer.sepID]
        if let bad = (specialIDs + [largestID]).first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            let tokenizerFile = JSONFile.exists(transformerFolder.appendingPathComponent("tokenizer.json")) ? "tokenizer.json" : "vocab.txt"
            throw EmbeddingError.invalidFile(path: transformerFolder.appendingPathComponent(tokenizerFile).path,
                                             reason: "token id \(bad) is outside vocab_size \(config.vocabSize) of config.json")
        }

        let pooling: Pooling
        if let poolingURL {
            pooling = try Pooling.load(from: poolingURL, hiddenSize: config.hiddenSize)
        } else {
            pooling = Pooling(mean: true)
        }

        let weightsURL = transformerFolder.appendingPathComponent("model.safetensors")
        if !JSONFile.exists(weightsURL), JSONFile.exists(transformerFolder.appendingPathComponent("pytorch_model.bin")) {
            throw EmbeddingError.unsupported(path: transformerFolder.appendingPathComponent("pytorch_model.bin").path,
                                             reason: "PyTorch pickles are not read; convert the weights to model.safetensors")
        }
        let model = try BertModel.load(file: SafeTensorsFile(url: weightsURL), config: config)

        var prompts: [String: String] = [:]
        var defaultPromptName: String?
        let stURL = folder.appendingPathComponent("config_sentence_transformers.json")
        if JSONFile.exists(stURL) {
            let st = try JSONFile.decode(SentenceTransformersConfig.self, from: stURL)
            prompts = st.prompts ?? [:]
            defaultPromptName = st.default_prompt_name
        }
        return ModelFolder(url: folder, config: config, tokenizer: tokenizer, model: model, pooling: pooling,
                           normalize: normalize, lowercaseInput: sbert.do_lower_case ?? false,
                           prompts: prompts, defaultPromptName: defaultPromptName)
    }

    private struct Module: Decodable {
        var idx: Int?
        var type: String
        var path: String?
    }

    private struct SentenceBertConfig: Decodable {
        var max_seq_length: Int?
        var do_lower_case: Bool?
    }

    private struct SentenceTransformersConfig: Decodable {
        var prompts: [String: String]?
        var default_prompt_name: String?
    }
}
