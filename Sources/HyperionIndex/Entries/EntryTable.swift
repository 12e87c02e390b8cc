import HyperionCore

/// What both indexes keep per slot beside their own data: the entry id, its document and tags, and a
/// tombstone. Slots only grow; deletes set the tombstone; compaction builds a fresh table.
struct EntryTable {
    var ids: [String] = []
    var deleted: [Bool] = []
    var documentOf: [Int32] = []
    var tagStart: [UInt32] = [0]
    var tagList: [Int32] = []
    var documents = Interner()
    var tags = Interner()
    var slotByID: [String: UInt32] = [:]
    var liveCount = 0

    var slotCount: Int { ids.count }

    /// More than a thousand deleted slots, and more deleted than live: time to compact.
    var isWasteful: Bool {
        let dead = slotCount - liveCount
        return dead > 1_000 && dead > liveCount
    }

    /// Appends an entry and returns its slot; the id's previous slot, if live, is tombstoned first.
    @discardableResult
    mutating func append(id: String, metadata: EntryMetadata) -> UInt32 {
        if let old = slotByID[id] { tombstone(old) }
        let slot = UInt32(ids.count)
        ids.append(id)
        deleted.append(false)
        documentOf.append(documents.intern(metadata.documentID))
        for tag in Set(metadata.tags).sorted() { tagList.append(tags.intern(tag)) }
        tagStart.append(UInt32(tagList.count))
        slotByID[id] = slot
        liveCount += 1
        return slot
    }

    /// Marks a slot deleted; returns false when it already was.
    @discardableResult
    mutating func tombstone(_ slot: UInt32) -> Bool {
        guard !deleted[Int(slot)] else { return false }
        deleted[Int(slot)] = true
        liveCount -= 1
        if slotByID[ids[Int(slot)]] == slot { slotByID[ids[Int(slot)]] = nil }
        return true
    }

    /// Live slots of the given documents.
    func slots(ofDocuments documentIDs: [String]) -> [UInt32] {
        let targets = Set(documentIDs.compactMap { documents.index[$0] })
        guard !targets.isEmpty else { return [] }
        return (0..<slotCount).compactMap { slot in
            !deleted[slot] && targets.contains(documentOf[slot]) ? UInt32(slot) : nil
        }
    }

    func documentID(_ slot: UInt32) -> String { documents.values[Int(documentOf[Int(slot)])] }

    func metadata(_ slot: UInt32) -> EntryMetadata {
        let range = Int(tagStart[Int(slot)])..<Int(tagStart[Int(slot) + 1])
        return EntryMetadata(documentID: documentID(slot), tags: tagList[range].map { tags.values[Int($0)] })
    }

    /// The live slots a filter admits, as a bitmap over slots; nil when the filter admits every live slot.
    func admission(for filter: SearchFilter) -> [Bool]? {
        guard !filter.isEmpty else { return nil }
        let allowedDocuments: [Bool]? = filter.documentIDs.map { ids in
            var map = [Bool](repeating: false, count: documents.values.count)
            for id in ids { if let i = documents.index[id] { map[Int(i)] = true } }
            return map
        }
        let allowedTags: [Bool]? = filter.anyTags.map { names in
            var map = [Bool](repeating: false, count: tags.values.count)
            for name in names { if let i = tags.index[name] { map[Int(i)] = true } }
            return map
        }
        var admitted = [Bool](repeating: false, count: slotCount)
        for slot in 0..<slotCount where !deleted[slot] {
            if let allowedDocuments, !allowedDocuments[Int(documentOf[slot])] { continue }
            if let allowedTags {
                var any = false
                for i in Int(tagStart[slot])..<Int(tagStart[slot + 1]) where allowedTags[Int(tagList[i])] { any = true; break }
                if !any { continue }
            }
            admitted[slot] = true
        }
        return admitted
    }

    // MARK: persistence

    func encode(into writer: inout BinaryWriter) {
        writer.writeArray(deleted.map { $0 ? UInt8(1) : 0 })
        writer.writeStrings(ids)
        writer.writeStrings(documents.values)
        writer.writeArray(documentOf)
        writer.writeStrings(tags.values)
        writer.writeArray(tagStart)
        writer.writeArray(tagList)
    }

    static func decode(from reader: inout BinaryReader) throws -> EntryTable {
        var table = EntryTable()
        let deleted = try reader.readArray(UInt8.self)
        table.ids = try reader.readStrings()
        table.documents = Interner(values: try reader.readStrings())
        table.documentOf = try reader.readArray(Int32.self)
        table.tags = Interner(values: try reader.readStrings())
        table.tagStart = try reader.readArray(UInt32.self)
        table.tagList = try reader.readArray(Int32.self)

        let n = table.ids.count
        guard deleted.count == n, table.documentOf.count == n,
              table.tagStart.count == n + 1, table.tagStart.first == 0, Int(table.tagStart[n]) == table.tagList.count,
              zip(table.tagStart, table.tagStart.dropFirst()).allSatisfy({ $0 <= $1 }),
              table.documentOf.allSatisfy({ $0 >= 0 && Int($0) < table.documents.values.count }),
              table.tagList.allSatisfy({ $0 >= 0 && Int($0) < table.tags.values.count })
        else { throw IndexFileError.corrupt("entry table sections disagree") }
        table.deleted = deleted.map { $0 != 0 }
        for slot in 0..<n where !table.deleted[slot] {
            guard table.slotByID.updateValue(UInt32(slot), forKey: table.ids[slot]) == nil else {
                throw IndexFileError.corrupt("entry id \(table.ids[slot]) is live twice")
            }
            table.liveCount += 1
        }
        return table
    }
}

/// Strings stored once and referred to by number (document ids and tags repeat across chunks).
struct Interner {
    private(set) var values: [String] = []
    private(set) var index: [String: Int32] = [:]

    init() {}

    init(values: [String]) {
        self.values = values
        for (i, value) in values.enumerated() { index[value] = Int32(i) }
    }

    mutating func intern(_ value: String) -> Int32 {
        if let i = index[value] { return i }
        let i = Int32(values.count)
        values.append(value)
        index[value] = i
        return i
    }
}
