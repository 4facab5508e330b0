import Foundation
import GantryModel
import GantryTesting
import Testing

@testable import GantryAPI

@Suite("Web UI: times, forms and log text as the pages write and read them", .paced)
struct WebFormattingTests {
    @Test("durations keep their two largest units; times are UTC to the second")
    func durations() {
        #expect(WebFormat.duration(12) == "12s")
        #expect(WebFormat.duration(184) == "3m 04s")
        #expect(WebFormat.duration(7500) == "2h 05m")
        #expect(WebFormat.duration(3 * 86400 + 4 * 3600 + 59) == "3d 04h")
        #expect(WebFormat.duration(-5) == "0s")
        let start = Date(timeIntervalSince1970: 1_796_378_401)
        #expect(WebFormat.time(start) == "2026-12-04 10:00:01 UTC")
        #expect(WebFormat.duration(from: start, to: start.addingTimeInterval(61)) == "1m 01s")
        #expect(WebFormat.duration(from: start, to: .distantFuture).hasSuffix("h"))
        #expect(WebFormat.text(3) == "3" && WebFormat.text(.number(2.5)) == "2.5" && WebFormat.text("a b") == "a b")
        #expect(WebFormat.state(.failure, complete: true)["label"] as? String == "FAILURE")
        #expect(WebFormat.state(nil, complete: false, started: false)["class"] as? String == "pending")
    }

    @Test("a form decodes + as a space and percent escapes; links encode what they keep")
    func forms() throws {
        let form = WebForm(encoded: "q=two+words&tag=c%2B%2B&empty=&flag&q=second&bad=%zz")
        #expect(form["q"] == "two words" && form["tag"] == "c++" && form["empty"] == "" && form["flag"] == "")
        #expect(form["bad"] == "%zz")
        #expect(form.text("empty") == nil && form["missing"] == nil)
        let link = WebForm.link("/builders", [("tag", "c++"), ("q", nil), ("page", "2")])
        #expect(link == "/builders?tag=c%2B%2B&page=2")
        #expect(throws: GantryError.self) { try WebForm(encoded: "page=-1").integer("page", minimum: 1) }
        #expect(try WebForm(encoded: "page=%2012%20").integer("page") == 12)
        #expect(WebForm(encoded: "next=%2Fbuilders%2F3").next == "/builders/3")
        for outside in ["//example.org/", "https://example.org/", "/a\\b", "/a\r\nLocation: x", "builders"] {
            #expect(WebForm(encoded: "next=" + WebForm.escape(outside)).next == nil, "\(outside)")
        }
    }

    @Test("a log line loses its colour escapes and keeps what a carriage return left")
    func logText() {
        #expect(LogText.plain("\u{1B}[1;31mneedle\u{1B}[0m at \u{1B}[36m7\u{1B}[m") == "needle at 7")
        #expect(LogText.plain("10%\r50%\r100%") == "100%")
        #expect(LogText.plain("done\r") == "done")
        #expect(LogText.plain("\u{1B}]0;title\u{7}kept") == "\u{1B}]0;title\u{7}kept")
        #expect(LogText.plain("a\u{1B}[2Kb") == "a\u{1B}[2Kb")
    }
}
