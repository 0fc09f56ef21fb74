import Testing
import BudgetCore

@Suite struct SeriesCSVReaderTests {
    @Test func readsRowsInEitherColumnOrder() throws {
        let reader = try SeriesCSVReader(header: "timestamp,value")
        let row = try #require(try reader.row("2025-01-06T00:00:00Z,12.5", number: 2).get())
        #expect(row.timestamp == Timestamp(year: 2025, month: 1, day: 6) && row.value == 12.5 && !row.withoutOffset)
        #expect(try reader.row(" \"2025-01-06T01:00:00+00:00\" , 1e1\r", number: 3).get()?.value == 10)
        #expect(try reader.row("", number: 4).get() == nil)

        let swapped = try SeriesCSVReader(header: "Value, Timestamp\r")
        #expect(try swapped.row("3,2025-01-06T00:00:00Z", number: 2).get()?.value == 3)
    }

    @Test func aTimestampWithoutAnOffsetIsUTC() throws {
        let reader = try SeriesCSVReader(header: "timestamp,value")
        let row = try #require(try reader.row("2025-01-06 01:30:00,7", number: 2).get())
        #expect(row.withoutOffset && row.timestamp == Timestamp(rfc3339: "2025-01-06T01:30:00Z"))
        let fraction = try #require(try reader.row("2025-01-06 01:30:00.500000,7", number: 3).get())
        #expect(fraction.withoutOffset && fraction.timestamp == Timestamp(rfc3339: "2025-01-06T01:30:00.5Z"))
        let offset = try #require(try reader.row("2025-01-06T02:30:00-01:00,7", number: 4).get())
        #expect(!offset.withoutOffset && offset.timestamp == Timestamp(rfc3339: "2025-01-06T03:30:00Z"))
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
    ])
    func namesTheLineAndTheProblem(line: String, message: String) throws {
        let reader = try SeriesCSVReader(header: "timestamp,value")
        guard case .failure(let problem) = reader.row(line, number: 7) else {
            Issue.record("accepted \(line)")
            return
        }
        #expect(problem.description.hasPrefix(message))
    }

    @Test func aWholeFileListsEveryUnreadableLine() {
        let text = "timestamp,value\r\n2025-01-06 00:00:00,1\r\nyesterday,2\r\n2025-01-06 02:00:00,x\r\n"
        guard case .failure(let failure) = SeriesCSVReader.rows(of: text) else {
            Issue.record("accepted")
            return
        }
        #expect(failure.problems.map(\.line) == [3, 4])
    }
}

@Suite struct SeriesMergeTests {
    private func merged(_ text: String) throws -> SeriesMerge {
        SeriesMerge(try SeriesCSVReader.rows(of: text).get())
    }

    @Test func sortsLateRowsAndMergesRepeatsAsTheServiceDoes() throws {
        let series = try merged("""
            timestamp,value
            2025-01-06 00:00:00,1
            2025-01-06 01:00:00,2
            2025-01-06 03:00:00,4
            2025-01-06 02:00:00,3
            2025-01-06 01:00:00,2
            2025-01-06 03:00:00,40
            2025-01-06 07:00:00,8
            """)
        #expect(series.points.map(\.value) == [1, 2, 3, 4, 8])
        #expect(series.points.map(\.line) == [2, 3, 5, 4, 8])
        #expect(series.rows == 7 && series.duplicates == 1 && series.conflicts == 1)
        #expect(series.reordered == 2)  // the late 02:00 and the re-sent 01:00
        #expect(series.withoutOffset == 7)
        #expect(series.intervalSeconds == 3600)
        #expect(series.gaps == 1 && series.missingIntervals == 3)
        #expect(series.summary.contains("1 duplicate row merged") && series.summary.contains("without an offset read as UTC"))
    }

    @Test func theIntervalIsTheMedianSpacing() throws {
        let series = try merged("timestamp,value\n2025-01-06T00:00:00Z,1\n2025-01-06T00:05:00Z,1\n2025-01-06T00:10:00Z,1\n2025-01-06T01:10:00Z,1\n")
        #expect(series.intervalSeconds == 300 && series.gaps == 1 && series.missingIntervals == 11)
    }
}
