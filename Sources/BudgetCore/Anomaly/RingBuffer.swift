/// The last `capacity` elements appended, oldest first; appending to a full buffer drops the oldest.
///
/// Equality and hashing look at the elements in order, not at where they sit in storage, so a buffer
/// rebuilt from its JSON equals the original. Encodes as `{"capacity": n, "elements": [...]}`.
public struct RingBuffer<Element> {
    /// The most elements kept.
    public let capacity: Int
    /// Slots, at most `capacity`; the live elements are the `size` slots from `head` on, wrapping around.
    private var storage: [Element]
    /// Where the oldest element sits.
    private var head = 0
    private var size = 0

    /// An empty buffer keeping at most `capacity` elements (at least 1).
    public init(capacity: Int) {
        precondition(capacity >= 1, "a ring buffer keeps at least one element")
        self.capacity = capacity
        storage = []
    }

    /// A buffer holding the last `capacity` of `elements`.
    public init(capacity: Int, elements: some Sequence<Element>) {
        self.init(capacity: capacity)
        for element in elements { append(element) }
    }

    /// How many elements are kept, 0...capacity.
    public var count: Int { size }

    /// Whether nothing is kept.
    public var isEmpty: Bool { size == 0 }

    /// The elements, oldest first.
    public var elements: [Element] {
        if head + size <= storage.count { return Array(storage[head..<(head + size)]) }
        return Array(storage[head...] + storage[..<(head + size - storage.count)])
    }

    /// The oldest element kept: the one the next append drops when the buffer is full.
    public var first: Element? {
        size == 0 ? nil : storage[head]
    }

    /// Whether the next append drops the oldest element.
    public var isFull: Bool { size == capacity }

    /// The element appended last.
    public var last: Element? {
        size == 0 ? nil : self[size - 1]
    }

    /// The element at `position` (0 is the oldest), without copying the buffer.
    public subscript(position: Int) -> Element {
        storage[(head + position) % storage.count]
    }

    /// Adds `element`, dropping the oldest when full. O(1) (amortised while the slots grow).
    public mutating func append(_ element: Element) {
        if size < storage.count {
            // A slot freed by `removeFirst` (or the oldest, when full).
            storage[(head + size) % storage.count] = element
            size += 1
        } else if storage.count < capacity {
            if head != 0 {
                storage = elements
                head = 0
            }
            storage.append(element)
            size += 1
        } else {
            storage[head] = element
            head = (head + 1) % storage.count
        }
    }

    /// Replaces every element by `transform(element)`, keeping the order.
    public mutating func mapInPlace(_ transform: (Element) -> Element) {
        for position in 0..<size {
            let slot = (head + position) % storage.count
            storage[slot] = transform(storage[slot])
        }
    }

    /// Drops the oldest element, if any. O(1): its slot is reused by a later append.
    public mutating func removeFirst() {
        guard size > 0 else { return }
        head = (head + 1) % storage.count
        size -= 1
    }

    /// Drops every element.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
        size = 0
    }
}

extension RingBuffer: Sendable where Element: Sendable {}

extension RingBuffer: Equatable where Element: Equatable {
    public static func == (lhs: RingBuffer, rhs: RingBuffer) -> Bool {
        lhs.capacity == rhs.capacity && lhs.elements == rhs.elements
    }
}

extension RingBuffer: Hashable where Element: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(capacity)
        hasher.combine(elements)
    }
}

extension RingBuffer: Codable where Element: Codable {
    enum CodingKeys: String, CodingKey { case capacity, elements }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let capacity = try container.decode(Int.self, forKey: .capacity)
        guard capacity >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .capacity, in: container, debugDescription: "capacity must be at least 1")
        }
        let elements = try container.decode([Element].self, forKey: .elements)
        guard elements.count <= capacity else {
            throw DecodingError.dataCorruptedError(forKey: .elements, in: container, debugDescription: "more elements than the capacity")
        }
        self.init(capacity: capacity, elements: elements)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(elements, forKey: .elements)
    }
}
