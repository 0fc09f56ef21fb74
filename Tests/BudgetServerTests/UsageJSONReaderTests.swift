import BudgetCore
import Foundation
import NIOCore
import Testing

@testable import BudgetServer

/// The ingest fast path reads exactly what `JSONDecoder` reads, and leaves everything else to it.
@Suite("Ingest JSON reader")
struct UsageJSONReaderTests {
    private struct Document: Decodable {
        var samples: [RawUsageSample]?
    }

    private func fast(_ text: String) -> [RawUsageSample]? {
        UsageJSONReader.document(ByteBuffer(string: text))
    }

    private func reference(_ text: String) -> [RawUsageSample]? {
        (try? JSONDecoder().decode(Document.self, from: Data(text.utf8)))?.samples
    }

    private func fastLine(_ text: String) -> RawUsageSample? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { UsageJSONReader.sample($0, range: 0..<$0.count) }
    }

    @Test(
        "plain documents take the fast path and read as JSONDecoder reads them",
        arguments: [
            #"{"samples":[{"environment":"prod","service":"api","resource":"cpu_cores","quantity":1.5,"start":"2026-11-01T00:00:00Z","end":"2026-11-01T00:01:00Z"}]}"#,
            " \n{ \"samples\" : [ { \"end\" : \"b\" , \"start\":\"a\",\"quantity\" : 2 } ,\r\n\t{} ] } \n",
            #"{"samples":[]}"#,
            #"{"before":{"a":[1,2,{"b":null}],"c":"d"},"samples":[{"service":"x"}],"after":[true,false,null,-1.5e3]}"#,
            #"{"samples":[{"quantity":0},{"quantity":-0},{"quantity":0.001},{"quantity":100},{"quantity":1E2},{"quantity":2.5e-3},{"quantity":12345678901234567890}]}"#,
            #"{"samples":[{"quantity":0.1000000000000000055511151231257827},{"quantity":9007199254740993},{"quantity":1e-300},{"quantity":4.9e-324}]}"#,
            #"{"samples":[{"quantity":"2","start":12,"end":null,"environment":true,"service":{"a":1},"resource":[1]}]}"#,
            #"{"samples":[{"labels":{"team":"a","cost-center":[1,2]},"environment":"prod"}]}"#,
        ]
    )
    func plain(_ text: String) throws {
        let read = try #require(fast(text), "the fast path must answer for a plain document")
        #expect(read == reference(text))
    }

    @Test(
        "anything unusual or broken is left to JSONDecoder",
        arguments: [
            #"{"samples":[{"service":"a\u0062"}]}"#,  // an escape
            #"{"samples":[{"service":"prod\"x"}]}"#,
            #"{"samples":[{"service":"é"}]}"#,  // non-ASCII
            #"{"samples":[{"service":"a","service":"b"}]}"#,  // a repeated field
            #"{"samples":[{"quantity":1e400}]}"#,  // beyond Double
            #"{"samples":[{"quantity":1e-400}]}"#,  // underflow
            #"{"samples":[{"quantity":01}]}"#,
            #"{"samples":[{"quantity":1.}]}"#,
            #"{"samples":[{"quantity":.5}]}"#,
            #"{"samples":[{"quantity":+1}]}"#,
            #"{"samples":[{"quantity":NaN}]}"#,
            #"{"samples":[{"quantity":1},]}"#,
            #"{"samples":[{"quantity":1}]"#,
            #"{"samples":[{"quantity":1}]} x"#,
            #"{"samples":null}"#,
            #"{"samples":{}}"#,
            #"{"samples":[1]}"#,
            #"{"other":[]}"#,
            #"{}"#,
            #"[]"#,
            "",
            #"{"samples":[],"samples":[]}"#,
        ]
    )
    func leftToJSONDecoder(_ text: String) {
        #expect(fast(text) == nil)
    }

    @Test("NDJSON lines: a plain object is read, anything else is left to JSONDecoder")
    func lines() throws {
        let line = #" {"environment":"prod","quantity":3,"extra":[{}]} "#
        #expect(fastLine(line) == (try JSONDecoder().decode(RawUsageSample.self, from: Data(line.utf8))))
        #expect(fastLine(#"{"quantity":3} {"#) == nil)
        #expect(fastLine(#"{"quantity":3"#) == nil)
        #expect(fastLine(#"[{"quantity":3}]"#) == nil)
    }

    @Test("random numbers and documents: every answer of the fast path equals JSONDecoder's, bit for bit")
    func randomDifferential() throws {
        var random = SeededGenerator(seed: 8)
        var fastAnswers = 0
        for round in 0..<3_000 {
            var text = #"{"samples":["#
            for index in 0..<random.integer(1...4) {
                if index > 0 { text += "," }
                text += #"{"environment":"e\#(round)","quantity":\#(randomNumber(&random)),"start":"s","end":"t"}"#
            }
            text += "]}"
            // Every other document gets a few bytes changed: valid or not, the two readers must agree.
            if round % 2 == 1 {
                var bytes = Array(text.utf8)
                for _ in 0..<random.integer(1...3) {
                    let replacements = Array(#"{}[],:"0123456789.eE+-nt \"#.utf8) + [UInt8(ascii: "\"")]
                    bytes[random.integer(0...(bytes.count - 1))] = replacements[random.integer(0...(replacements.count - 1))]
                }
                text = String(decoding: bytes, as: UTF8.self)
            }
            if let read = fast(text) {
                fastAnswers += 1
                let expected = try #require(reference(text), "JSONDecoder refuses what the fast path read: \(text)")
                #expect(read.count == expected.count)
                for (mine, theirs) in zip(read, expected) {
                    #expect(mine == theirs, "\(text)")
                    if case .number(let a) = mine.quantity, case .number(let b) = theirs.quantity {
                        #expect(a.bitPattern == b.bitPattern, "\(text)")
                    }
                }
            }
        }
        // All unmutated documents (half) take the fast path, and some mutated ones still are valid JSON.
        #expect(fastAnswers >= 1_500)
    }

    private func randomNumber(_ random: inout SeededGenerator) -> String {
        switch random.integer(0...3) {
        case 0:
            return "\(random.uniform(0...1_000))"
        case 1:
            return "\(random.integer(0...Int(Int32.max)))"
        case 2:
            let digits = (0..<random.integer(1...25)).map { _ in String(random.integer(0...9)) }.joined()
            let fraction = (0..<random.integer(0...25)).map { _ in String(random.integer(0...9)) }.joined()
            let integer = digits.drop { $0 == "0" }
            return (integer.isEmpty ? "0" : String(integer)) + (fraction.isEmpty ? "" : ".\(fraction)")
        default:
            let mantissa = random.integer(1...999_999)
            return "\(mantissa)e\(random.integer(-40...40))"
        }
    }
}
