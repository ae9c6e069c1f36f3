import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 client over one keep-alive TCP connection: GET, HEAD and PUT with
/// Content-Length or chunked bodies, streamed in 4 MiB blocks so a gigabyte blob is hashed and
/// written as it arrives. Plain `http://` only (a cache on the local network or loopback); an
/// `https://` cache is reached through a local proxy, or as a `file://` remote on a shared disk.
///
/// Unchecked Sendable: a connection is used by one thread at a time, handed between threads only
/// through `HTTPRemote`'s pool behind its mutex.
final class HTTPConnection: @unchecked Sendable {
    struct Response {
        var status: Int
        var headers: [String: String]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let host: String
    let port: UInt16
    /// Limits on connecting, on silence and on a whole request; see `RemoteLimits`.
    let limits: RemoteLimits
    /// Set by Ctrl-C: a wait on the network ends within a quarter of a second.
    let cancellation: CancellationFlag?
    /// When the request under way must have finished, and the limit it came from.
    private var deadline: (at: Date, seconds: Double)?
    private var socket: Int32 = -1
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 4096)
    private var start = 0, end = 0

    init(host: String, port: UInt16, limits: RemoteLimits, cancellation: CancellationFlag?) {
        self.host = host
        self.port = port
        self.limits = limits
        self.cancellation = cancellation
    }

    /// Waits until the socket is ready for `events`, in quarter-second slices, so that an
    /// interrupt, the request's total deadline or `limits.idle` seconds of silence end the wait.
    private func waitReady(_ events: Int16, idleLimit: Double, what: String) throws {
        let started = Date()
        while true {
            if cancellation?.isCancelled == true { throw Failure(description: "\(what) \(host):\(port) interrupted") }
            let now = Date()
            if let deadline, now > deadline.at {
                throw Failure(description: "\(what) \(host):\(port): no complete answer within \(Self.seconds(deadline.seconds))")
            }
            if now.timeIntervalSince(started) > idleLimit {
                throw Failure(description: "\(what) \(host):\(port): nothing for \(Self.seconds(idleLimit))")
            }
            var ready = pollfd(fd: socket, events: events, revents: 0)
            let polled = poll(&ready, 1, 250)
            if polled > 0 { return }
            if polled < 0, errno != EINTR { throw Failure(description: "\(what) \(host):\(port): \(String(cString: strerror(errno)))") }
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }

    deinit {
        disconnect()
        buffer.deallocate()
    }

    private func disconnect() {
        if socket >= 0 { close(socket) }
        socket = -1
        start = 0
        end = 0
    }

    private func connectIfNeeded() throws {
        guard socket < 0 else { return }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                // Non-blocking from here on: every wait goes through `waitReady`.
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    socket = fd
                    return
                }
                lastError = errno
                if errno == EINPROGRESS {
                    socket = fd
                    do {
                        try waitReady(Int16(POLLOUT), idleLimit: limits.connect, what: "connecting to")
                        var error: Int32 = 0
                        var length = socklen_t(MemoryLayout<Int32>.size)
                        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                        if error == 0 { return }
                        lastError = error
                    } catch {
                        socket = -1
                        close(fd)
                        throw error
                    }
                    socket = -1
                }
                close(fd)
            }
            candidate = info.pointee.ai_next
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    /// Sends a request and reads the status line and headers; the body is read with `readBody`.
    /// A request on a kept-alive connection the server closed is retried once on a new one.
    /// - Parameter body: the request body's length and a writer that sends exactly that many bytes.
    /// The request and the reading of its body must end within `limits.total(bytes:)` of `bodyLength`
    /// or `expectedBytes` (a blob's recorded size).
    func send(_ method: String, _ path: String, bodyLength: Int64? = nil, expectedBytes: Int64 = 0,
              body: ((_ send: (UnsafeRawBufferPointer) throws -> Void) throws -> Void)? = nil) throws -> Response {
        let total = limits.total(bytes: max(bodyLength ?? 0, expectedBytes))
        deadline = (Date().addingTimeInterval(total), total)
        for attempt in 0..<2 {
            let reused = socket >= 0
            do {
                try connectIfNeeded()
                var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: paperflow\r\n"
                if let bodyLength { head += "Content-Length: \(bodyLength)\r\n" }
                head += "\r\n"
                try Array(head.utf8).withUnsafeBytes { try sendAll($0) }
                if let body { try body { try self.sendAll($0) } }
                return try readHead()
            } catch {
                disconnect()
                if attempt == 0, reused { continue }
                throw error
            }
        }
        fatalError("unreachable")
    }

    private func sendAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = Glibc.send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0, errno == EINTR { continue }
            if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                try waitReady(Int16(POLLOUT), idleLimit: limits.idle, what: "sending to")
                continue
            }
            guard sent > 0 else { throw Failure(description: "connection to \(host):\(port) lost while sending: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Refills the buffer; false at end of stream.
    private func fill() throws -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count, start > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
            end -= start
            start = 0
        }
        while true {
            let count = recv(socket, buffer.baseAddress! + end, buffer.count - end, 0)
            if count < 0, errno == EINTR { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                try waitReady(Int16(POLLIN), idleLimit: limits.idle, what: "reading from")
                continue
            }
            if count < 0 {
                throw Failure(description: "connection to \(host):\(port) failed while reading: \(String(cString: strerror(errno)))")
            }
            end += count
            return count > 0
        }
    }

    private func readLine() throws -> String {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                var line = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[start..<newline]), as: UTF8.self)
                if line.hasSuffix("\r") { line.removeLast() }
                start = newline + 1
                return line
            }
            guard end - start < 64 << 10 else { throw Failure(description: "\(host):\(port) sent a header line over 64 KiB") }
            guard try fill() else { throw Failure(description: "\(host):\(port) closed the connection") }
        }
    }

    private func readHead() throws -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Failure(description: "\(host):\(port) did not answer in HTTP/1.1 (\(statusLine.prefix(80)))")
        }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers)
    }

    /// Reads the body of `response` (none for HEAD and 204/304), passing it on in blocks.
    func readBody(of response: Response, method: String, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        defer { if response.headers["connection"]?.lowercased() == "close" { disconnect() } }
        if method == "HEAD" || response.status == 204 || response.status == 304 || (100..<200).contains(response.status) { return }
        if response.headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw Failure(description: "\(host):\(port) sent a malformed chunk size '\(sizeLine.prefix(20))'")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    return
                }
                try copy(Int64(size), into: sink)
                _ = try readLine()
            }
        }
        if let text = response.headers["content-length"] {
            guard let length = Int64(text) else { throw Failure(description: "\(host):\(port) sent Content-Length '\(text)'") }
            try copy(length, into: sink)
            return
        }
        // No length: the body runs to the end of the connection.
        while true {
            if start < end {
                try sink(UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
                start = end
            }
            guard try fill() else { break }
        }
        disconnect()
    }

    private func copy(_ length: Int64, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var left = length
        while left > 0 {
            if start == end {
                guard try fill() else { throw Failure(description: "\(host):\(port) closed the connection \(left) bytes before the end of a body") }
            }
            let count = Int(min(Int64(end - start), left))
            try sink(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + count)]))
            start += count
            left -= Int64(count)
        }
    }
}


/// How long a remote may take: to accept a connection, to stay silent, and for a whole request —
/// a base time plus the bytes at a floor rate, so a server trickling a byte every few seconds
/// is given up instead of holding a run for minutes. Overridden by `PAPERFLOW_REMOTE_TIMEOUT`
/// (seconds: the base and the silence limit).
public struct RemoteLimits: Sendable {
    public var connect: Double
    public var idle: Double
    public var base: Double
    /// Bytes per second a large transfer must average.
    public var floorRate: Double

    public init(connect: Double = 5, idle: Double = 15, base: Double = 30, floorRate: Double = 1_048_576) {
        self.connect = connect
        self.idle = idle
        self.base = base
        self.floorRate = floorRate
    }

    /// The defaults, or `PAPERFLOW_REMOTE_TIMEOUT`'s.
    public static var standard: RemoteLimits {
        guard let text = ProcessInfo.processInfo.environment["PAPERFLOW_REMOTE_TIMEOUT"], let seconds = Double(text), seconds > 0 else {
            return RemoteLimits()
        }
        return RemoteLimits(connect: min(5, seconds), idle: seconds, base: seconds)
    }

    /// The deadline for a request moving `bytes`.
    public func total(bytes: Int64) -> Double { base + Double(bytes) / floorRate }
}
