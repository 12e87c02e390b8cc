import Foundation

/// The complete BERT tokenizer: special tokens, normaliser, word splitting, WordPiece, `[CLS] … [SEP]` and truncation.
public struct BertTokenizer: Sendable {
    let basic: BasicTokenizer
    let wordPiece: WordPieceTokenizer
    /// Special tokens matched verbatim in the raw text (so "[UNK]" typed in a text is the unknown token),
    /// longest first so that the longest match wins.
    let specialTokens: [(scalars: [Unicode.Scalar], id: Int)]
    /// Id of `[CLS]`.
    public let clsID: Int
    /// Id of `[SEP]`.
    public let sepID: Int
    /// Id of `[PAD]` (0 when there is none).
    public let padID: Int
    /// Longest `input_ids` produced, `[CLS]` and `[SEP]` included.
    public let maxLength: Int

    /// The `input_ids` of `text`: `[CLS]`, at most `maxLength - 2` pieces, `[SEP]`.
    public func encode(_ text: String) -> [Int] {
        let limit = maxLength - 2
        var ids: [Int] = [clsID]
        ids.reserveCapacity(min(limit, text.utf8.count) + 2)
        var pieces: [Int] = []
        var words: [ArraySlice<Unicode.Scalar>] = []
        var scalars = Array(text.unicodeScalars)
        var segmentStart = 0
        var i = 0

        func flush(upTo end: Int) -> Bool {
            guard segmentStart < end else { return true }
            let normalized = basic.normalize(scalars[segmentStart..<end])
            words.removeAll(keepingCapacity: true)
            basic.split(normalized, into: &words)
            for word in words {
                pieces.removeAll(keepingCapacity: true)
                wordPiece.encode(word, into: &pieces)
                for id in pieces {
                    // Pieces come left to right, so stopping at the limit equals HF's truncation of the full list.
                    if ids.count - 1 >= limit { return false }
                    ids.append(id)
                }
            }
            return true
        }

        scan: while i < scalars.count {
            if let special = matchSpecial(in: scalars, at: i) {
                guard flush(upTo: i) else { break scan }
                if ids.count - 1 >= limit { break scan }
                ids.append(special.id)
                i += special.length
                segmentStart = i
            } else {
                i += 1
            }
        }
        if i >= scalars.count { _ = flush(upTo: scalars.count) }
        scalars.removeAll()
        ids.append(sepID)
        return ids
    }

    private func matchSpecial(in scalars: [Unicode.Scalar], at index: Int) -> (id: Int, length: Int)? {
        guard !specialTokens.isEmpty else { return nil }
        outer: for token in specialTokens where token.scalars.count <= scalars.count - index {
            for (offset, scalar) in token.scalars.enumerated() where scalars[index + offset] != scalar {
                continue outer
            }
            return (token.id, token.scalars.count)
        }
        return nil
    }
}

// MARK: - Loading

extension BertTokenizer {
    /// Loads the tokenizer of the folder: `tokenizer.json` (WordPiece) if present, else `vocab.txt`;
    /// `tokenizer_config.json` settings override, as HF's `BertTokenizerFast` does.
    static func load(folder: URL, maxLength: Int?) throws -> (BertTokenizer, modelMaxLength: Int?) {
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        let config: TokenizerConfig = JSONFile.exists(configURL)
            ? try JSONFile.decode(TokenizerConfig.self, from: configURL) : TokenizerConfig()

        var vocab: [[UInt8]: Int] = [:]
        var unknownToken = config.unk_token?.string ?? "[UNK]"
        var prefix = "##"
        var maxChars = 100
        var basic = BasicTokenizer()
        var special: [String: Int] = [:]
        // Defaults of the slow BertTokenizer, used with vocab.txt.
        var lowercase = true
        var stripAccents: Bool? = nil
        var chinese = true
        let jsonURL = folder.appendingPathComponent("tokenizer.json")
        let vocabURL = folder.appendingPathComponent("vocab.txt")
        let vocabSource: URL

        if JSONFile.exists(jsonURL) {
            vocabSource = jsonURL
            let file = try JSONFile.decode(TokenizerJSON.self, from: jsonURL)
            guard file.model.type == "WordPiece" || (file.model.type == nil && file.model.continuing_subword_prefix != nil) else {
                throw EmbeddingError.unsupported(path: jsonURL.path, reason: "tokenizer model type '\(file.model.type ?? "?")' (only WordPiece)")
            }
            guard let entries = file.model.vocab, !entries.isEmpty else {
                throw EmbeddingError.invalidFile(path: jsonURL.path, reason: "model.vocab is missing or empty")
            }
            for (token, id) in entries { vocab[Array(token.utf8)] = id }
            unknownToken = file.model.unk_token ?? unknownToken
            prefix = file.model.continuing_subword_prefix ?? prefix
            maxChars = file.model.max_input_chars_per_word ?? maxChars
            if let normalizer = file.normalizer {
                guard normalizer.type == "BertNormalizer" else {
                    throw EmbeddingError.unsupported(path: jsonURL.path, reason: "normalizer '\(normalizer.type)' (only BertNormalizer)")
                }
                basic.cleanText = normalizer.clean_text ?? true
                chinese = normalizer.handle_chinese_chars ?? true
                lowercase = normalizer.lowercase ?? true
                stripAccents = normalizer.strip_accents
            }
            if let pre = file.pre_tokenizer, pre.type != "BertPreTokenizer" {
                throw EmbeddingError.unsupported(path: jsonURL.path, reason: "pre_tokenizer '\(pre.type)' (only BertPreTokenizer)")
            }
            for token in file.added_tokens ?? [] { special[token.content] = token.id }
        } else if JSONFile.exists(vocabURL) {
            vocabSource = vocabURL
            let data = try JSONFile.read(vocabURL)
            // One token per line, id = line number; HF strips only "\n", so split bytes, not Characters ("\r\n" is one Character).
            var index = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                if !line.isEmpty { vocab[Array(line)] = index }
                index += 1
            }
            guard !vocab.isEmpty else {
                throw EmbeddingError.invalidFile(path: vocabURL.path, reason: "vocabulary is empty")
            }
        } else {
            throw EmbeddingError.missingFile(path: jsonURL.path + " (or vocab.txt)")
        }

        if let value = config.do_lower_case { lowercase = value }
        if let value = config.strip_accents, case .bool(let flag) = value { stripAccents = flag }
        if let value = config.tokenize_chinese_chars { chinese = value }
        basic.lowercase = lowercase
        // HF: strip_accents null follows lowercase.
        basic.stripAccents = stripAccents ?? lowercase
        basic.handleChineseChars = chinese

        func id(of token: String, role: String) throws -> Int {
            if let id = vocab[Array(token.utf8)] ?? special[token] { return id }
            throw EmbeddingError.invalidFile(path: vocabSource.path, reason: "\(role) token '\(token)' is not in the vocabulary")
        }
        let unknownID = try id(of: unknownToken, role: "unknown")
        let clsToken = config.cls_token?.string ?? "[CLS]"
        let sepToken = config.sep_token?.string ?? "[SEP]"
        let padToken = config.pad_token?.string ?? "[PAD]"
        let clsID = try id(of: clsToken, role: "CLS")
        let sepID = try id(of: sepToken, role: "SEP")
        let padID = (try? id(of: padToken, role: "PAD")) ?? 0
        for (tokenID, token) in config.added_tokens_decoder ?? [:] {
            if let content = token.content, let value = Int(tokenID) { special[content] = value }
        }
        // The slow tokenizer never splits its declared special tokens.
        for token in [unknownToken, clsToken, sepToken, padToken, config.mask_token?.string ?? "[MASK]"] where special[token] == nil {
            if let value = vocab[Array(token.utf8)] { special[token] = value }
        }

        var modelMaxLength: Int?
        if let value = config.model_max_length?.number, value.isFinite, value >= 2, value < 1e9 {
            modelMaxLength = Int(value)
        }
        let tokenizer = BertTokenizer(
            basic: basic,
            wordPiece: WordPieceTokenizer(vocab: vocab, unknownID: unknownID,
                                          continuationPrefix: Array(prefix.utf8), maxInputCharsPerWord: maxChars),
            specialTokens: special.filter { !$0.key.isEmpty }
                .map { (Array($0.key.unicodeScalars), $0.value) }
                .sorted { $0.0.count > $1.0.count },
            clsID: clsID, sepID: sepID, padID: padID,
            maxLength: maxLength ?? modelMaxLength ?? 512
        )
        return (tokenizer, modelMaxLength)
    }

    /// Returns a copy that truncates at `maxLength` tokens.
    func truncating(at maxLength: Int) -> BertTokenizer {
        BertTokenizer(basic: basic, wordPiece: wordPiece, specialTokens: specialTokens,
                      clsID: clsID, sepID: sepID, padID: padID, maxLength: maxLength)
    }

    private struct TokenizerConfig: Decodable {
        var do_lower_case: Bool?
        var strip_accents: LooseJSON?
        var tokenize_chinese_chars: Bool?
        var model_max_length: LooseJSON?
        var unk_token: LooseJSON?
        var cls_token: LooseJSON?
        var sep_token: LooseJSON?
        var pad_token: LooseJSON?
        var mask_token: LooseJSON?
        var added_tokens_decoder: [String: AddedTokenDecoder]?

        struct AddedTokenDecoder: Decodable { var content: String? }
    }

    private struct TokenizerJSON: Decodable {
        struct Model: Decodable {
            var type: String?
            var vocab: [String: Int]?
            var unk_token: String?
            var continuing_subword_prefix: String?
            var max_input_chars_per_word: Int?
        }
        struct Normalizer: Decodable {
            var type: String
            var clean_text: Bool?
            var handle_chinese_chars: Bool?
            var strip_accents: Bool?
            var lowercase: Bool?
        }
        struct PreTokenizer: Decodable { var type: String }
        struct AddedToken: Decodable { var id: Int; var content: String }
        var model: Model
        var normalizer: Normalizer?
        var pre_tokenizer: PreTokenizer?
        var added_tokens: [AddedToken]?
    }
}
