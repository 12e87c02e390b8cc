/// Greedy longest-match-first WordPiece, as HF's `WordPiece` model.
///
/// The vocabulary is keyed by UTF-8 bytes, not `String`: Swift compares strings by canonical
/// equivalence, so "e\u{301}" would wrongly find the vocabulary entry "é"; HF compares exact code points.
struct WordPieceTokenizer: Sendable {
    let vocab: [[UInt8]: Int]
    let unknownID: Int
    let continuationPrefix: [UInt8]
    /// A word with more code points than this becomes the unknown token.
    let maxInputCharsPerWord: Int

    /// Appends the ids of `word`'s pieces to `ids`; a word with a part that no piece matches becomes one unknown token.
    func encode(_ word: ArraySlice<Unicode.Scalar>, into ids: inout [Int]) {
        if word.count > maxInputCharsPerWord {
            ids.append(unknownID)
            return
        }
        // UTF-8 of the word and the byte offset of each code point, so a candidate piece is a byte slice.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(word.count * 2)
        var offsets: [Int] = [0]
        offsets.reserveCapacity(word.count + 1)
        for scalar in word {
            bytes.append(contentsOf: scalar.utf8)
            offsets.append(bytes.count)
        }
        let firstNew = ids.count
        var key: [UInt8] = []
        key.reserveCapacity(bytes.count + continuationPrefix.count)
        var start = 0
        let n = word.count
        while start < n {
            var end = n
            var match: Int?
            while start < end {
                key.removeAll(keepingCapacity: true)
                if start > 0 { key.append(contentsOf: continuationPrefix) }
                key.append(contentsOf: bytes[offsets[start]..<offsets[end]])
                if let id = vocab[key] {
                    match = id
                    break
                }
                end -= 1
            }
            guard let id = match else {
                ids.removeSubrange(firstNew...)
                ids.append(unknownID)
                return
            }
            ids.append(id)
            start = end
        }
    }
}
