import Foundation
import GantryWire

#if canImport(Glibc)
    import Glibc
    private let streamSocket = Int32(SOCK_STREAM.rawValue)
    private let sendFlags = Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)
#elseif canImport(Darwin)
    import Darwin
    private let streamSocket = SOCK_STREAM
    private let sendFlags = Int32(MSG_DONTWAIT)
#endif

/// A TCP connection to the worker port that sends whatever bytes a test wants, for input no real worker
/// sends: half requests, unmasked or oversized frames, messages in thousands of fragments.
///
/// Nothing here blocks a thread: a read or write that cannot proceed polls every millisecond, so tests running
/// side by side on two cores cannot starve the port's own tasks.
final class RawConnection {
    private var descriptor: Int32
    /// Bytes received and not consumed yet.
    private var received: [UInt8] = []
    /// Whether the port ended the connection (EOF or reset).
    private(set) var closedByPort = false

    /// Connects to `127.0.0.1:port`.
    init(port: Int) throws {
        let opened = socket(AF_INET, streamSocket, 0)
        guard opened >= 0 else { throw RawConnectionError(operation: "socket", code: errno) }
        #if canImport(Darwin)
            var one: Int32 = 1
            _ = setsockopt(opened, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(opened, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            closeDescriptor(opened)
            throw RawConnectionError(operation: "connect", code: code)
        }
        descriptor = opened
    }

    deinit { close() }

    /// Closes this end; safe to call more than once.
    func close() {
        guard descriptor >= 0 else { return }
        closeDescriptor(descriptor)
        descriptor = -1
    }

    // MARK: - Bytes

    /// Sends all of `bytes`, waiting while the socket's send buffer is full.
    func write(_ bytes: [UInt8], within limit: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now.advanced(by: limit)
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                send(descriptor, buffer.baseAddress! + sent, buffer.count - sent, sendFlags)
            }
            let code = errno
            if result > 0 {
                sent += result
                continue
            }
            guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                throw RawConnectionError(operation: "send", code: code)
            }
            guard ContinuousClock.now < deadline else { throw RawConnectionError(operation: "send", code: ETIMEDOUT) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Sends `text` as UTF-8.
    func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// The next `count` bytes, or `nil` when the port closes the connection or `deadline` passes first.
    func read(_ count: Int, by deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        while received.count < count {
            guard try await receive(by: deadline) else { return nil }
        }
        defer { received.removeFirst(count) }
        return Array(received.prefix(count))
    }

    /// Reads and drops everything until the port closes the connection; says whether it did within `limit`.
    func waitForClose(within limit: Duration = .seconds(20)) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while try await receive(by: deadline) { received.removeAll() }
        return closedByPort
    }

    /// Waits for more bytes; `false` once the connection is closed or `deadline` has passed.
    private func receive(by deadline: ContinuousClock.Instant) async throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while !closedByPort {
            let result = chunk.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
            }
            let code = errno
            if result > 0 {
                received.append(contentsOf: chunk[..<result])
                return true
            }
            if result == 0 || code == ECONNRESET {
                closedByPort = true
            } else if code == EAGAIN || code == EWOULDBLOCK || code == EINTR {
                guard ContinuousClock.now < deadline else { return false }
                try await Task.sleep(for: .milliseconds(1))
            } else {
                throw RawConnectionError(operation: "recv", code: code)
            }
        }
        return false
    }

    // MARK: - HTTP and WebSocket

    /// Sends a WebSocket upgrade request with Basic credentials and returns the response's status (`nil` if
    /// the port closes the connection first).
    func upgrade(name: String, password: String, within limit: Duration = .seconds(20)) async throws -> Int? {
        let credentials = Data("\(name):\(password)".utf8).base64EncodedString()
        try await write(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Authorization: Basic \(credentials)\r\n\r\n")
        return try await responseStatus(within: limit)
    }

    /// The status of the HTTP response head that arrives next (its headers are dropped).
    func responseStatus(within limit: Duration = .seconds(20)) async throws -> Int? {
        let deadline = ContinuousClock.now.advanced(by: limit)
        let end = Array("\r\n\r\n".utf8)
        while true {
            if let start = received.indices.dropLast(3).first(where: { received[$0..<($0 + 4)].elementsEqual(end) }) {
                guard let head = try await read(start + 4, by: deadline) else { return nil }
                let statusLine = String(decoding: head, as: UTF8.self).split(separator: " ", maxSplits: 2)
                return statusLine.count >= 2 ? Int(statusLine[1]) : nil
            }
            guard try await receive(by: deadline) else { return nil }
        }
    }

    /// A frame from the port.
    struct Frame: Equatable {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]

        /// A close frame's status code, if it carries one.
        var closeStatus: Int? {
            opcode == 0x8 && payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil
        }
    }

    /// The next frame, or `nil` when the port closes the connection or `limit` passes first.
    func readFrame(within limit: Duration = .seconds(20)) async throws -> Frame? {
        let deadline = ContinuousClock.now.advanced(by: limit)
        guard let head = try await read(2, by: deadline) else { return nil }
        var length = Int(head[1] & 0x7f)
        if length >= 126 {
            guard let extended = try await read(length == 126 ? 2 : 8, by: deadline) else { return nil }
            length = extended.reduce(0) { $0 << 8 | Int($1) }
        }
        var mask: [UInt8]?
        if head[1] & 0x80 != 0 {
            guard let key = try await read(4, by: deadline) else { return nil }
            mask = key
        }
        guard let payload = try await read(length, by: deadline) else { return nil }
        let unmasked = mask.map { key in payload.enumerated().map { $0.element ^ key[$0.offset % 4] } } ?? payload
        return Frame(fin: head[0] & 0x80 != 0, opcode: head[0] & 0x0f, payload: unmasked)
    }

    /// Reads frames until one with `opcode` (`0x8`: close, `0xa`: pong), which it returns; `nil` if the
    /// connection ends first.
    func readFrame(opcode: UInt8, within limit: Duration = .seconds(20)) async throws -> Frame? {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while let frame = try await readFrame(within: deadline - ContinuousClock.now) {
            if frame.opcode == opcode { return frame }
        }
        return nil
    }

    /// The next protocol request from the port, skipping any other frame.
    func readRequest(within limit: Duration = .seconds(20)) async throws -> WireRequest? {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while let frame = try await readFrame(within: deadline - ContinuousClock.now) {
            guard frame.opcode == 0x2, case .request(let request) = try WireMessage(decoding: frame.payload) else {
                continue
            }
            return request
        }
        return nil
    }

    /// A client frame: masked, as RFC 6455 requires, unless `masked` is false.
    static func frame(opcode: UInt8, fin: Bool = true, payload: [UInt8], masked: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case ..<126:
            bytes.append(maskBit | UInt8(payload.count))
        case ...0xffff:
            bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        default:
            bytes.append(maskBit | 127)
            bytes += (0..<8).map { UInt8(truncatingIfNeeded: payload.count >> (56 - 8 * $0)) }
        }
        guard masked else { return bytes + payload }
        let key: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
        return bytes + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    /// `message` as a binary frame and continuations of at most `size` bytes each.
    static func fragments(of message: [UInt8], size: Int) -> [UInt8] {
        stride(from: 0, to: message.count, by: size).flatMap { start in
            let end = min(start + size, message.count)
            return frame(
                opcode: start == 0 ? 0x2 : 0x0, fin: end == message.count, payload: Array(message[start..<end]))
        }
    }
}

/// A system call on a raw connection failed.
struct RawConnectionError: Error, CustomStringConvertible {
    var operation: String
    var code: Int32

    var description: String { "\(operation) failed: \(String(cString: strerror(code)))" }
}

private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
