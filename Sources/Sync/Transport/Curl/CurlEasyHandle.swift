internal import CCurl
import Foundation

/// libcurl's global state, initialized once before the first handle.
private let curlGlobalInit: Void = {
    kb_curl_global_init(Int(CURL_GLOBAL_ALL))
}()

/// Owns one libcurl easy handle; frees it when released.
///
/// Not thread-safe: a handle is used by one thread at a time (``CurlTransport`` keeps it on its queue).
final class CurlEasyHandle {
    let handle: UnsafeMutableRawPointer

    init() throws {
        guard kb_curl_available() != 0 else {
            throw SyncError(
                .configuration, "kb cannot load libcurl (libcurl.so.4); install it with 'apt-get install libcurl4'.")
        }
        _ = curlGlobalInit
        guard let handle = kb_curl_easy_init() else {
            throw SyncError(.unreachable, "libcurl could not create a connection handle.")
        }
        self.handle = handle
    }

    deinit { kb_curl_easy_cleanup(handle) }

    func reset() { kb_curl_easy_reset(handle) }

    func set(_ option: CURLoption, _ value: Int) throws {
        try check(kb_curl_setopt_long(handle, option, value), option: "\(option.rawValue)")
    }

    func set(_ option: CURLoption, _ value: String) throws {
        try check(kb_curl_setopt_string(handle, option, value), option: "\(option.rawValue)")
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws {
        try check(kb_curl_setopt_pointer(handle, option, pointer), option: "\(option.rawValue)")
    }

    func set(headers: UnsafeMutablePointer<curl_slist>?) throws {
        try check(kb_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers), option: "HTTPHEADER")
    }

    func setBody(_ bytes: [UInt8]) throws {
        try check(
            kb_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)), option: "POSTFIELDSIZE")
        // COPYPOSTFIELDS copies the bytes, so the buffer may go away after this call.
        try bytes.withUnsafeBytes { buffer in
            if let base = buffer.baseAddress {
                try copyPostFields(UnsafeMutableRawPointer(mutating: base))
            } else {
                // An empty array has no storage. curl copies no byte then, but a null pointer would mean no body.
                var none: UInt8 = 0
                try copyPostFields(&none)
            }
        }
    }

    private func copyPostFields(_ pointer: UnsafeMutableRawPointer) throws {
        try check(kb_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, pointer), option: "COPYPOSTFIELDS")
    }

    func setWriteFunction(_ function: kb_curl_data_callback) throws {
        try check(kb_curl_setopt_write_function(handle, function), option: "WRITEFUNCTION")
    }

    func setHeaderFunction(_ function: kb_curl_data_callback) throws {
        try check(kb_curl_setopt_header_function(handle, function), option: "HEADERFUNCTION")
    }

    /// Runs the transfer; returns nil on success or the error text.
    func perform(errorBuffer: UnsafeMutablePointer<CChar>) -> (CURLcode, String?) {
        let code = kb_curl_easy_perform(handle)
        guard code != CURLE_OK else { return (code, nil) }
        let detail = String(cString: errorBuffer)
        return (code, detail.isEmpty ? String(cString: kb_curl_easy_strerror(code)) : detail)
    }

    func responseCode() -> Int {
        var code: Int = 0
        _ = kb_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    private func check(_ code: CURLcode, option: String) throws {
        guard code == CURLE_OK else {
            throw SyncError(
                .configuration, "libcurl refused option \(option): \(String(cString: kb_curl_easy_strerror(code))).")
        }
    }
}

@available(*, unavailable)
extension CurlEasyHandle: Sendable {}
