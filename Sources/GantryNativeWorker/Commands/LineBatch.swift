import GantryWire

/// Whole lines of one stream as the protocol sends them (a line triple): the text, each newline's offset in
/// Unicode scalars (Python string indexes), and the time each line began.
struct LineBatch: Sendable {
    private(set) var text = ""
    private(set) var newlines: [Int] = []
    private(set) var times: [Double] = []
    /// The text's length in Unicode scalars, so that a following batch's offsets can be shifted.
    private(set) var scalars = 0

    var isEmpty: Bool { newlines.isEmpty }

    /// Adds one line: `start` then `rest` (`length` scalars in all), and a newline.
    mutating func add(_ start: String, _ rest: Substring.UnicodeScalarView, length: Int, time: Double) {
        text += start
        text += Substring(rest)
        text += "\n"
        scalars += length
        newlines.append(scalars)
        scalars += 1
        times.append(time)
    }

    /// Adds the lines of `later`, which follow these.
    mutating func append(_ later: LineBatch) {
        text += later.text
        newlines += later.newlines.map { $0 + scalars }
        times += later.times
        scalars += later.scalars
    }

    var value: MessagePackValue {
        .array([
            .string(text), .array(newlines.map { .int(Int64($0)) }), .array(times.map(MessagePackValue.double)),
        ])
    }
}
