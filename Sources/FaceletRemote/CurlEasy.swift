import CCurl
import Foundation

/// Owns one libcurl easy handle, freed in `deinit`.
///
/// Not thread-safe (a libcurl easy handle must not be used from two threads at once): each
/// `HTTPTransport` owns one and uses it for one request at a time. Reusing the handle keeps
/// its connection cache, so the many small GETs of a pull share one connection.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    /// Filled by libcurl with a readable error (`CURLOPT_ERRORBUFFER`).
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws(RemoteError) {
        CurlGlobal.initialise()
        guard let handle = curl_easy_init() else {
            throw RemoteError(.connection, "libcurl could not make a handle (out of memory?)")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Forgets every option of the previous request (connections stay cached), then sets the
    /// ones every request of ours wants.
    func reset() {
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        _ = facelet_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        // > If you use libcurl in a multi-threaded program … you must set this option to 1.
        // https://curl.se/libcurl/c/CURLOPT_NOSIGNAL.html
        set(CURLOPT_NOSIGNAL, 1)
    }

    func set(_ option: CURLoption, _ value: Int) {
        _ = facelet_curl_setopt_long(handle, option, value)
    }

    func set(_ option: CURLoption, offset value: Int64) {
        _ = facelet_curl_setopt_off(handle, option, curl_off_t(value))
    }

    /// Sets a string option; libcurl copies the string (since 7.17).
    func set(_ option: CURLoption, _ value: String) throws(RemoteError) {
        let code = value.withCString { facelet_curl_setopt_string(handle, option, $0) }
        guard code == CURLE_OK else {
            throw RemoteError(.badRemote, "libcurl refused an option: " + Self.text(code))
        }
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) {
        _ = facelet_curl_setopt_pointer(handle, option, pointer)
    }

    func set(_ option: CURLoption, callback: facelet_curl_data_callback) {
        _ = facelet_curl_setopt_data_callback(handle, option, callback)
    }

    func set(headers: HeaderList) {
        _ = facelet_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers.list)
    }

    /// Runs the request; returns libcurl's result code.
    func perform() -> CURLcode {
        curl_easy_perform(handle)
    }

    /// The HTTP status of the last response (0 before one arrived).
    var status: Int {
        var value = 0
        _ = facelet_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &value)
        return value
    }

    /// The response's `Content-Type`, if any.
    var contentType: String? {
        var value: UnsafeMutablePointer<CChar>?
        guard facelet_curl_getinfo_string(handle, CURLINFO_CONTENT_TYPE, &value) == CURLE_OK,
              let value else { return nil }
        return String(cString: value)
    }

    /// The last value of response header `name` in the latest response, if present.
    func header(_ name: String) -> String? {
        var found: UnsafeMutablePointer<curl_header>?
        let code = name.withCString {
            curl_easy_header(handle, $0, 0, UInt32(CURLH_HEADER), -1, &found)
        }
        guard code == CURLHE_OK, let found, let value = found.pointee.value else { return nil }
        return String(cString: value)
    }

    /// What went wrong in the last `perform`, in libcurl's words.
    func failure(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? Self.text(code) : detail
    }

    static func text(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }
}

/// `curl_global_init`, once per process.
enum CurlGlobal {
    /// > This function must be called at least once within a program … before the program
    /// > calls any other function in libcurl. … it is not thread safe.
    /// https://curl.se/libcurl/c/curl_global_init.html — a Swift `static let` initialiser
    /// runs exactly once, under a lock, whichever thread gets there first.
    private static let status: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    static func initialise() {
        precondition(status == CURLE_OK, "curl_global_init failed: \(CurlEasy.text(status))")
    }
}

/// Owns a `curl_slist` of request headers, freed in `deinit`; keep it alive until the
/// request is done.
final class HeaderList {
    private(set) var list: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) {
        for line in lines {
            list = curl_slist_append(list, line)
        }
    }

    deinit {
        curl_slist_free_all(list)
    }
}
