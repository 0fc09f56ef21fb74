/// Prices usage: splits each sample at hour boundaries and at rate-card changes, and prices every piece
/// with the version in force at the piece's start.
///
/// Gauges cost quantity × hours × price per unit-hour; a counter's amount is spread over its interval in
/// proportion to time, each share costing share × price per unit. Each piece is rounded once, half to even.
public enum CostModel {
    /// Why a sample cannot be priced.
    public enum CostError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The quantity cannot be represented exactly (NaN, negative, beyond 10¹²).
        case invalidQuantity
        /// The cost does not fit the money range (about ±9.2 billion currency units).
        case overflow

        public var description: String {
            switch self {
            case .invalidQuantity: "the quantity must be a finite number between 0 and 1e12"
            case .overflow: "the cost of this sample exceeds the money range"
            }
        }
    }

    /// The hourly, per-version pieces of `sample`, in time order.
    public static func pieces(of sample: UsageSample, history: RateCardHistory) throws(CostError) -> [CostPiece] {
        guard let quantity = Quantity(sample.quantity) else { throw .invalidQuantity }
        let start = sample.start
        let end = sample.end
        let total = end.microsecondsSinceEpoch - start.microsecondsSinceEpoch
        var pieces: [CostPiece] = []
        var cursor = start
        let changes = history.changes(between: start, and: end)
        var changeIndex = 0
        while cursor < end {
            var next = min(cursor.startOfHour + .hours(1), end)
            while changeIndex < changes.count && changes[changeIndex] <= cursor { changeIndex += 1 }
            if changeIndex < changes.count && changes[changeIndex] < next { next = changes[changeIndex] }
            let duration = next.microsecondsSinceEpoch - cursor.microsecondsSinceEpoch
            let card = history.card(at: cursor)
            let price = card?.prices[sample.resource]
            var cost = Money.zero
            let share: Double
            switch sample.resource.kind {
            case .gauge:
                share = CostArithmetic.unitHours(quantity: quantity, durationMicroseconds: duration)
                if let price {
                    guard let value = CostArithmetic.gaugeCost(quantity: quantity, durationMicroseconds: duration, pricePerUnitHour: price) else {
                        throw .overflow
                    }
                    cost = value
                }
            case .counter:
                share = quantity.doubleValue * Double(duration) / Double(total)
                if let price {
                    guard let value = CostArithmetic.counterCost(quantity: quantity, pricePerUnit: price, share: duration, of: total) else {
                        throw .overflow
                    }
                    cost = value
                }
            }
            pieces.append(
                CostPiece(
                    hour: cursor.startOfHour, resource: sample.resource, rateVersion: price == nil ? nil : card?.version,
                    cost: cost, quantity: share, end: next
                )
            )
            cursor = next
        }
        return pieces
    }
}
