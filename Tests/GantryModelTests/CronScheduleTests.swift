import Foundation
import GantryModel
import Testing

@Suite("CronSchedule (Buildbot's NightlyBase times)")
struct CronScheduleTests {
    private let utc = TimeZone(identifier: "UTC")!

    private func time(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = utc
        return formatter.date(from: text + ":00Z")!
    }

    private func field(_ text: String, _ unit: CronField.Unit) throws -> CronField {
        try CronField(parsing: text, unit: unit)
    }

    private func schedule(
        minute: String = "0", hour: String = "*", dayOfMonth: String = "*", month: String = "*",
        dayOfWeek: String = "*"
    ) throws -> CronSchedule {
        CronSchedule(
            minute: try field(minute, .minute), hour: try field(hour, .hour),
            dayOfMonth: try field(dayOfMonth, .dayOfMonth), month: try field(month, .month),
            dayOfWeek: try field(dayOfWeek, .dayOfWeek), timeZone: utc)
    }

    @Test("default: hourly at minute 0")
    func hourly() throws {
        let hourly = CronSchedule(timeZone: utc)
        #expect(hourly.next(after: time("2011-01-03T03:00")) == time("2011-01-03T04:00"))
        #expect(hourly.next(after: time("2011-01-03T03:59")) == time("2011-01-03T04:00"))
        #expect(hourly.next(after: time("2011-01-03T23:22")) == time("2011-01-04T00:00"))
    }

    @Test("minutes and hours: single, lists, '*'")
    func minutesAndHours() throws {
        #expect(try schedule(minute: "4").next(after: time("2011-01-03T03:00")) == time("2011-01-03T03:04"))
        #expect(try schedule(minute: "4").next(after: time("2011-01-03T03:15")) == time("2011-01-03T04:04"))
        #expect(try schedule(minute: "4,34").next(after: time("2011-01-03T03:34")) == time("2011-01-03T04:04"))
        #expect(try schedule(minute: "*").next(after: time("2011-01-03T03:34")) == time("2011-01-03T03:35"))
        #expect(try schedule(hour: "4").next(after: time("2011-01-03T13:00")) == time("2011-01-04T04:00"))
        #expect(
            try schedule(minute: "19", hour: "13").next(after: time("2011-01-03T13:19")) == time("2011-01-04T13:19"))
        #expect(try schedule(minute: "*/15").next(after: time("2011-01-03T13:16")) == time("2011-01-03T13:30"))
    }

    @Test("months and days of the month; February 30th is skipped")
    func monthsAndDays() throws {
        #expect(try schedule(month: "3").next(after: time("2011-02-27T00:00")) == time("2011-03-01T00:00"))
        #expect(try schedule(month: "3").next(after: time("2011-03-01T00:00")) == time("2011-03-01T01:00"))
        #expect(
            try schedule(dayOfMonth: "10,20,30").next(after: time("2011-02-20T23:00")) == time("2011-03-10T00:00"))
        #expect(
            try schedule(minute: "30", hour: "20", dayOfMonth: "15").next(after: time("2011-01-03T00:00"))
                == time("2011-01-15T20:30"))
        #expect(try schedule(month: "apr-jun").next(after: time("2011-01-03T00:00")) == time("2011-04-01T00:00"))
    }

    @Test("days of the week count from Monday = 0; with a day of the month, either matches")
    func daysOfWeek() throws {
        // 2011-01-03 is a Monday.
        #expect(
            try schedule(hour: "1", dayOfWeek: "1").next(after: time("2011-01-03T05:00")) == time("2011-01-04T01:00"))
        #expect(
            try schedule(hour: "1", dayOfWeek: "tue,3").next(after: time("2011-01-04T05:00"))
                == time("2011-01-06T01:00"))
        #expect(try schedule(dayOfWeek: "mon-fri").next(after: time("2011-01-07T23:00")) == time("2011-01-10T00:00"))
        let either = try schedule(hour: "1", dayOfMonth: "5", dayOfWeek: "1,4")
        let first = try #require(either.next(after: time("2011-01-03T05:00")))
        let second = try #require(either.next(after: first))
        let third = try #require(either.next(after: second))
        #expect(
            [first, second, third] == [time("2011-01-04T01:00"), time("2011-01-05T01:00"), time("2011-01-07T01:00")])
        #expect(either.matches(time("2011-01-05T01:00")))
        #expect(!either.matches(time("2011-01-06T01:00")))
    }

    @Test("time zones: 02:00 in New York is 07:00 UTC in winter")
    func timeZone() throws {
        var schedule = try schedule(minute: "0", hour: "2")
        schedule.timeZone = TimeZone(identifier: "America/New_York")!
        #expect(schedule.next(after: time("2011-01-03T00:00")) == time("2011-01-03T07:00"))
    }

    @Test("invalid fields are errors naming them", arguments: ["60", "5-3", "*/0", "mon", "1-", "x"])
    func invalid(text: String) {
        #expect(throws: GantryError.self) { try CronField(parsing: text, unit: .minute) }
    }
}
