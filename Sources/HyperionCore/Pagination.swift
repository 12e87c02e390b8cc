/// The list convention `?skip=&limit=`: how many items to skip and how many to return.
public struct PageRequest: Sendable, Equatable {
    /// Items returned when the caller does not say.
    public static let defaultLimit = 20
    /// Largest page a caller may ask for.
    public static let maxLimit = 100

    /// Number of items to skip (≥ 0).
    public let skip: Int
    /// Number of items to return (1 ... ``maxLimit``).
    public let limit: Int

    /// Validates raw query values; `nil` means "not given".
    /// - Throws: ``HyperionError`` naming `skip` or `limit` when a value is not a fitting integer.
    public init(skip rawSkip: String?, limit rawLimit: String?) throws {
        self.skip = try Self.parse(rawSkip, field: "skip", default: 0, range: 0...Int(Int32.max))
        self.limit = try Self.parse(rawLimit, field: "limit", default: Self.defaultLimit, range: 1...Self.maxLimit)
    }

    /// Creates a page request from already valid numbers.
    public init(skip: Int = 0, limit: Int = PageRequest.defaultLimit) {
        self.skip = max(0, skip)
        self.limit = min(max(1, limit), Self.maxLimit)
    }

    /// `raw` as an integer within `range` (`value` when absent); anything else is a 422 naming `field`.
    public static func parse(_ raw: String?, field: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw else { return value }
        guard let number = Int(raw), range.contains(number) else {
            throw HyperionError.invalid(field, "must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(raw.prefix(40))'")
        }
        return number
    }
}

/// One page of a list, with the total so a client can page through.
public struct Page<Item: Sendable>: Sendable {
    /// The items of this page.
    public var items: [Item]
    /// How many items exist in all.
    public var total: Int
    /// The request that produced this page.
    public var request: PageRequest

    /// Creates a page.
    public init(items: [Item], total: Int, request: PageRequest) {
        self.items = items
        self.total = total
        self.request = request
    }

    /// The same page with each item transformed, e.g. into a response type.
    public func map<T>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), total: total, request: request)
    }
}

extension Page: Equatable where Item: Equatable {}
