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
    let timeout: Double
    private var socket: Int32 = -1
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 4096)
    private var start = 0, end = 0

    init(host: String, port: UInt16, timeout: Double) {
        self.host = host
        self.port = port
        self.timeout = timeout
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
                var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    socket = fd
                    return
                }
                lastError = errno
                close(fd)
            }
            candidate = info.pointee.ai_next
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    /// Sends a request and reads the status line and headers; the body is read with `readBody`.
    /// A request on a kept-alive connection the server closed is retried once on a new one.
    /// - Parameter body: the request body's length and a writer that sends exactly that many bytes.
    func send(_ method: String, _ path: String, bodyLength: Int64? = nil,
              body: ((_ send: (UnsafeRawBufferPointer) throws -> Void) throws -> Void)? = nil) throws -> Response {
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
            if count < 0 {
                let reason = errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within \(Int(timeout)) s" : String(cString: strerror(errno))
                throw Failure(description: "connection to \(host):\(port) failed while reading: \(reason)")
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

