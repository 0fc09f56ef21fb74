import Testing
import BudgetCore

@Suite struct SeriesCSVReaderTests {
    @Test func readsPointsInEitherColumnOrder() throws {
        var reader = try SeriesCSVReader(header: "timestamp,value")
        let point = try #require(try reader.point("2025-01-06T00:00:00Z,12.5", number: 2).get())
        #expect(point.timestamp == Timestamp(year: 2025, month: 1, day: 6) && point.value == 12.5)
        #expect(try reader.point(" \"2025-01-06T01:00:00+00:00\" , 1e1\r", number: 3).get()?.value == 10)
        #expect(try reader.point("", number: 4).get() == nil)

        var swapped = try SeriesCSVReader(header: "Value, Timestamp\r")
        #expect(try swapped.point("3,2025-01-06T00:00:00Z", number: 2).get()?.value == 3)
    }

    @Test func refusesABadHeader() {
        #expect(throws: SeriesCSVReader.Problem.self) { try SeriesCSVReader(header: "time,cost") }
        #expect(throws: SeriesCSVReader.Problem.self) { try SeriesCSVReader(header: "timestamp,value,service") }
    }

    @Test(arguments: [
        ("2025-01-06T00:00:00Z", "line 7: expected 2 fields (timestamp,value), got 1"),
        ("2025-13-06T00:00:00Z,1", "line 7: timestamp \"2025-13-06T00:00:00Z\": "),
        ("2025-01-06,1", "line 7: timestamp \"2025-01-06\": "),
        ("2025-01-06T02:00:00Z,abc", "line 7: value \"abc\" is not a decimal number"),
        ("2025-01-06T02:00:00Z,nan", "line 7: value \"nan\" is not a decimal number"),
        ("2025-01-06T02:00:00Z,", "line 7: value \"\" is not a decimal number"),
        ("2025-01-06T01:00:00Z,4", "line 7: timestamp 2025-01-06T01:00:00Z is not after 2025-01-06T01:00:00Z on line 2"),
    ])
    func namesTheLineAndTheProblem(line: String, message: String) throws {
        var reader = try SeriesCSVReader(header: "timestamp,value")
        _ = reader.point("2025-01-06T01:00:00Z,1", number: 2)
        guard case .failure(let problem) = reader.point(line, number: 7) else {
            Issue.record("accepted \(line)")
            return
        }
        #expect(problem.description.hasPrefix(message))
    }
}
