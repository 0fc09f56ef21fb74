import Foundation
import Testing
import BudgetCore

@Suite struct RobustStatisticsTests {
    @Test func medianOfOddAndEvenCounts() {
        #expect(RobustStatistics.median([]) == nil)
        #expect(RobustStatistics.median([4]) == 4)
        #expect(RobustStatistics.median([9, 1, 5]) == 5)
        #expect(RobustStatistics.median([9, 1, 5, 3]) == 4)
        #expect(RobustStatistics.median([2, 2, 2, 1000]) == 2)
    }

    @Test func medianAbsoluteDeviationIgnoresOneOutlier() {
        // Deviations from the median 3 are 2, 1, 0, 1, 997: their median is 1.
        #expect(RobustStatistics.medianAbsoluteDeviation([1, 2, 3, 4, 1000]) == 1)
        #expect(RobustStatistics.medianAbsoluteDeviation([5, 5, 5]) == 0)
        #expect(RobustStatistics.medianAbsoluteDeviation([]) == nil)
        #expect(RobustStatistics.robustSpread([1, 2, 3, 4, 1000]) == RobustStatistics.normalConsistency)
    }

    @Test(arguments: [
        (12.345678, "12.346"), (0.000123456, "0.00012346"), (123_456_789.0, "123460000.0"),
        (-7.654321, "-7.6543"), (100.0, "100.0"), (0.5, "0.5"), (99_999.5, "100000.0"), (1.00005, "1.0001"),
    ])
    func roundsToFiveSignificantDigitsWithShortText(value: Double, text: String) {
        let rounded = RobustStatistics.rounded(value, significantDigits: 5)
        #expect(rounded.description == text)
        #expect(RobustStatistics.rounded(rounded, significantDigits: 5) == rounded)
    }

    @Test func roundingLeavesZeroAndNonFiniteAlone() {
        #expect(RobustStatistics.rounded(0, significantDigits: 5) == 0)
        #expect(RobustStatistics.rounded(.infinity, significantDigits: 5) == .infinity)
        #expect(RobustStatistics.rounded(.nan, significantDigits: 5).isNaN)
    }
}

@Suite struct RingBufferTests {
    @Test func keepsTheLastElementsInOrder() {
        var buffer = RingBuffer<Int>(capacity: 3)
        #expect(buffer.isEmpty && buffer.last == nil)
        for value in 1...5 { buffer.append(value) }
        #expect(buffer.elements == [3, 4, 5])
        #expect(buffer.count == 3)
        #expect(buffer.last == 5)
        buffer.mapInPlace { $0 * 10 }
        #expect(buffer.elements == [30, 40, 50])
        buffer.removeAll()
        #expect(buffer.elements.isEmpty)
    }

    /// The 3-day memory drops its oldest point as each new one comes: appends and removals interleaved, in any
    /// mix, keep exactly the last elements an array would (capacity included).
    @Test func removingTheOldestKeepsTheRestInOrder() {
        var buffer = RingBuffer<Int>(capacity: 5)
        var model: [Int] = []
        var generator = SeededGenerator(seed: 7)
        for value in 0..<2_000 {
            if generator.next() % 3 == 0 {
                buffer.removeFirst()
                if !model.isEmpty { model.removeFirst() }
            } else {
                buffer.append(value)
                model.append(value)
                if model.count > 5 { model.removeFirst() }
            }
            #expect(buffer.elements == model && buffer.count == model.count && buffer.first == model.first && buffer.last == model.last)
            #expect(model.indices.allSatisfy { buffer[$0] == model[$0] })
        }
        #expect(RingBuffer(capacity: 5, elements: buffer.elements) == buffer)
    }

    @Test func equalityLooksAtTheOrderNotTheStorage() {
        var wrapped = RingBuffer<Int>(capacity: 3)
        for value in 0...4 { wrapped.append(value) }  // storage rotated
        #expect(wrapped == RingBuffer(capacity: 3, elements: [2, 3, 4]))
        #expect(wrapped.hashValue == RingBuffer(capacity: 3, elements: [2, 3, 4]).hashValue)
        #expect(wrapped != RingBuffer(capacity: 4, elements: [2, 3, 4]))
    }

    @Test func survivesAJSONRoundTrip() throws {
        var buffer = RingBuffer<Double>(capacity: 4)
        for value in [0.1, 2.5, 1e-9, 7, 123.456, 0.3] { buffer.append(value) }
        let data = try JSONEncoder().encode(buffer)
        #expect(String(decoding: data, as: UTF8.self).contains("\"elements\":[1e-09,7,123.456,0.3]"))
        var decoded = try JSONDecoder().decode(RingBuffer<Double>.self, from: data)
        #expect(decoded == buffer)
        decoded.append(9)
        buffer.append(9)
        #expect(decoded.elements == buffer.elements)
    }

    @Test func refusesMoreElementsThanItsCapacity() {
        let json = Data(#"{"capacity":2,"elements":[1,2,3]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RingBuffer<Int>.self, from: json) }
        let zero = Data(#"{"capacity":0,"elements":[]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RingBuffer<Int>.self, from: zero) }
    }
}

@Suite struct SeededGeneratorTests {
    @Test func isSplitMix64() {
        // Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var generator = SeededGenerator(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func sameSeedSameSeries() {
        for kind in SyntheticSeries.Kind.allCases {
            #expect(SyntheticSeries.generate(kind, seed: 7) == SyntheticSeries.generate(kind, seed: 7))
            #expect(SyntheticSeries.generate(kind, seed: 7) != SyntheticSeries.generate(kind, seed: 8))
        }
    }

    @Test func uniformAndNormalStayInRange() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<1_000 {
            #expect((0..<1).contains(generator.unit()))
            #expect((2...3).contains(generator.uniform(2...3)))
            #expect((5...9).contains(generator.integer(5...9)))
            #expect((-6...6).contains(generator.normal()))
        }
    }
}
