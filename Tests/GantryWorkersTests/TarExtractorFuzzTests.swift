import Foundation
import GantryTesting
import GantryWorkers
import Testing

/// The extractor against random and mutated tar streams: each is extracted or refused with a problem; none
/// traps, and nothing is ever written outside the target.
@Suite("Tar extraction under hostile input", .paced, .timeLimit(.minutes(3)))
struct TarExtractorFuzzTests {
    /// An archive to try, where its headers start, and what a valid one must extract to (nil once mutated).
    private struct Sample {
        var bytes: [UInt8] = []
        var headers: [Int] = []
        var expected: [String: [UInt8]]? = [:]

        mutating func add(header: [UInt8], data: [UInt8] = []) {
            headers.append(bytes.count)
            bytes += header + TarStream.padded(data)
        }
    }

    private static let marker = "gantry-fuzz-escape"
    private static let longName = "long/" + String(repeating: "n", count: 150)
    /// Safe member names, and where each lands.
    private static let files = [
        ("a.txt", "a.txt"), ("b.bin", "b.bin"), ("dir/c.txt", "dir/c.txt"), ("dir/sub/d.txt", "dir/sub/d.txt"),
        ("./e.txt", "e.txt"), (longName, longName),
    ]
    private static let directories = ["dir", "dir/sub", "empty"]
    private static let hostileNames = [
        "..", "../\(marker)", "dir/../../\(marker)", "/tmp/\(marker)", "a/../../../\(marker)", "..\0x/\(marker)",
        "x/..", "./../\(marker)", "\(marker)/../..", String(repeating: "../", count: 40) + marker,
    ]
    private static let hostileSizes = [
        "-5", "99999999999999999999999", "9223372036854775807", "1e9", "", "12abc", "+7", " 3", "68719476735",
    ]
    private static let bogusRecords = [
        "99999 path=x\n", "5 path=../../\(marker)\n", "0 size=1\n", "-1 a=b\n", "3 x\n", "12 noequals\n",
        "11 size=-5\n", "9223372036854775807 size=1\n", "7 size=\n", "20 path=a\n",
    ]

    @Test("a few thousand random and mutated streams: extracted whole or refused, nothing outside the target")
    func fuzz() throws {
        var random = SplitMix64(seed: 0x6761_6E74_7279)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-fuzz-\(UUID())")
        defer { try? FileManager.default.removeItem(at: work) }
        let archive = work.appendingPathComponent("archive.tar")
        let root = work.appendingPathComponent("root")
        let target = root.appendingPathComponent("target")
        for iteration in 0..<3000 {
            let sample = Self.sample(&random)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            try Data(sample.bytes).write(to: archive)
            do {
                try TarExtractor.extract(archive, into: target)
                for (name, content) in sample.expected ?? [:] {
                    let written = try Data(contentsOf: target.appendingPathComponent(name))
                    #expect(written == Data(content), "iteration \(iteration): '\(name)'")
                }
            } catch {
                #expect(error is TarExtractor.Failure, "iteration \(iteration): \(error)")
                #expect(sample.expected == nil, "iteration \(iteration): a valid archive was refused: \(error)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["target"], "\(iteration)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).sorted() == ["archive.tar", "root"])
            #expect(Self.escaped(from: target).isEmpty, "iteration \(iteration)")
            #expect(try Self.links(under: target).isEmpty, "iteration \(iteration)")
            try FileManager.default.removeItem(at: target)
        }
    }

    /// One archive: valid, valid then mutated, or random bytes (some behind a well-formed header).
    private static func sample(_ random: inout SplitMix64) -> Sample {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<2:
            return valid(&random)
        case 2..<8:
            var sample = valid(&random)
            for _ in 0..<Int.random(in: 1...3, using: &random) { mutate(&sample, &random) }
            sample.expected = nil
            return sample
        case 8:
            return Sample(bytes: bytes(Int.random(in: 0...3000, using: &random), &random), expected: nil)
        default:
            var header = bytes(TarStream.block, &random)
            header[156] = Array("057xLg2".utf8).randomElement(using: &random) ?? 0
            let size = Int.random(in: 0...5000, using: &random)
            put(TarStream.octal(size, digits: 11), in: &header, at: 124, width: 12)
            put(TarStream.octal(0o644, digits: 7), in: &header, at: 100, width: 8)
            TarStream.seal(&header)
            return Sample(
                bytes: header + bytes(Int.random(in: 0...6000, using: &random), &random), headers: [0], expected: nil)
        }
    }

    /// A well-formed archive of some safe files (long names through PAX) and directories.
    private static func valid(_ random: inout SplitMix64) -> Sample {
        var sample = Sample()
        if Bool.random(using: &random) { sample.add(header: TarStream.directory("")) }
        let count = Int.random(in: 0...files.count, using: &random)
        for (name, relative) in files.shuffled(using: &random).prefix(count) {
            let size =
                Int.random(in: 0..<8, using: &random) == 0
                ? Int.random(in: 0...140_000, using: &random) : Int.random(in: 0...1500, using: &random)
            let seed = Int.random(in: 0...255, using: &random)
            let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
            if name.utf8.count > 100 || Bool.random(using: &random) {
                let pax = TarStream.pax([("path", name)])
                sample.add(header: Array(pax[..<TarStream.block]), data: Array(pax[TarStream.block...]))
            }
            sample.add(header: TarStream.header(name.utf8.count > 100 ? "pax-named" : name, size: size), data: content)
            sample.expected?[relative] = content
        }
        for directory in directories where Bool.random(using: &random) {
            sample.add(header: TarStream.directory(directory))
        }
        sample.bytes += TarStream.end
        return sample
    }

    private static func mutate(_ sample: inout Sample, _ random: inout SplitMix64) {
        let headers = sample.headers.filter { $0 + TarStream.block <= sample.bytes.count }
        let header = headers.randomElement(using: &random)
        switch Int.random(in: 0..<8, using: &random) {
        case 0:
            for _ in 0..<Int.random(in: 1...8, using: &random) where !sample.bytes.isEmpty {
                sample.bytes[Int.random(in: 0..<sample.bytes.count, using: &random)] = UInt8.random(
                    in: 0...255, using: &random)
            }
        case 1:
            sample.bytes = Array(sample.bytes.prefix(Int.random(in: 0...sample.bytes.count, using: &random)))
        case 2:
            let at = Int.random(in: 0...sample.bytes.count, using: &random)
            sample.bytes.insert(contentsOf: bytes(Int.random(in: 1...600, using: &random), &random), at: at)
        case 3:
            guard let header else { return }
            let size = ["77777777777", "7777777777", "0", "1", "00000001000", "zzz"].randomElement(using: &random)
            rewrite(&sample.bytes, header: header, reseal: Int.random(in: 0..<10, using: &random) > 0) {
                put(size ?? "0", in: &$0, at: 124, width: 12)
            }
        case 4:
            guard let header else { return }
            let type = UInt8.random(in: 0...255, using: &random)
            rewrite(&sample.bytes, header: header, reseal: true) { $0[156] = type }
        case 5:
            guard let header else { return }
            let name = hostileNames.randomElement(using: &random) ?? ".."
            rewrite(&sample.bytes, header: header, reseal: true) {
                for index in 0..<100 { $0[index] = 0 }
                put(name, in: &$0, at: 0, width: 100)
            }
        case 6:
            let records: [(String, String)] =
                Bool.random(using: &random)
                ? [("size", hostileSizes.randomElement(using: &random) ?? "")]
                : [("path", hostileNames.randomElement(using: &random) ?? "..")]
            insert(TarStream.pax(records), into: &sample, before: header)
        default:
            let record = bogusRecords.randomElement(using: &random) ?? ""
            insert(TarStream.paxData(Array(record.utf8)), into: &sample, before: header)
        }
    }

    private static func rewrite(
        _ bytes: inout [UInt8], header offset: Int, reseal: Bool, _ change: (inout [UInt8]) -> Void
    ) {
        var header = Array(bytes[offset..<(offset + TarStream.block)])
        change(&header)
        if reseal { TarStream.seal(&header) }
        bytes.replaceSubrange(offset..<(offset + TarStream.block), with: header)
    }

    private static func insert(_ piece: [UInt8], into sample: inout Sample, before header: Int?) {
        sample.bytes.insert(contentsOf: piece, at: header ?? 0)
    }

    private static func put(_ text: String, in header: inout [UInt8], at offset: Int, width: Int) {
        for index in offset..<(offset + width) { header[index] = 0 }
        for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
    }

    private static func bytes(_ count: Int, _ random: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    /// Marker files in any directory above the target: what a name leaving it would have created.
    private static func escaped(from target: URL) -> [String] {
        var found: [String] = []
        var directory = target.deletingLastPathComponent()
        while true {
            let path = directory.appendingPathComponent(marker).path
            if FileManager.default.fileExists(atPath: path) { found.append(path) }
            guard directory.path != "/" else { return found }
            directory = directory.deletingLastPathComponent()
        }
    }

    /// Anything under `target` that is neither a regular file nor a directory.
    private static func links(under target: URL) throws -> [String] {
        let keys: [URLResourceKey] = [.isRegularFileKey, .isDirectoryKey]
        guard let walk = FileManager.default.enumerator(at: target, includingPropertiesForKeys: keys) else {
            return []
        }
        var odd: [String] = []
        for case let url as URL in walk {
            let values = try url.resourceValues(forKeys: Set(keys))
            if values.isRegularFile != true && values.isDirectory != true { odd.append(url.path) }
        }
        return odd
    }
}
