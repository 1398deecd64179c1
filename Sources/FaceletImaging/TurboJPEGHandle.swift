import CTurboJPEG

/// Owns one TurboJPEG handle and destroys it in `deinit`. A handle is not thread-safe, so
/// each encode or decode makes its own and never shares it.
final class TurboJPEGHandle {
    /// The raw `tjhandle`; only used inside the methods of the codec that made it.
    let raw: tjhandle

    /// Makes a decompressor (`decompress == true`) or compressor; nil if TurboJPEG fails.
    init?(decompress: Bool) {
        guard let raw = decompress ? tjInitDecompress() : tjInitCompress() else { return nil }
        self.raw = raw
    }

    deinit { tjDestroy(raw) }

    /// The last error or warning text of this handle.
    var lastError: String {
        guard let text = tjGetErrorStr2(raw) else { return "unknown TurboJPEG error" }
        return String(cString: text)
    }
}
