extension Architecture {
    /// Checks the description before any weight is read (docs/architecture.md): channel counts
    /// chain, every level is tapped exactly once with the declared channels at the declared
    /// stride, `merge` meets a level at the matching resolution, the decoder ends with 3 channels
    /// (12 for `affine-difference`) at the input's resolution, and `pad_multiple` is a multiple
    /// of the deepest stride.
    /// - Throws: `PackageError` with code `.badArchitecture`, naming the op.
    public func validate() throws(PackageError) {
        try validateHead()
        var names = Set<String>()
        let deepest = try validateEncoder(names: &names)
        try validateDecoder(names: &names)
        guard input.padMultiple % deepest == 0 else {
            throw fail("input.pad_multiple \(input.padMultiple) must be a multiple of the"
                       + " deepest stride \(deepest)")
        }
    }

    /// Every tensor the architecture needs, name → shape: per convolution `<name>.weight`
    /// `[out, in, k, k]` and `<name>.bias` `[out]`, plus `<name>.bn.weight`, `.bn.bias`,
    /// `.bn.running_mean` and `.bn.running_var` (each `[out]`) with batch normalisation.
    public func expectedTensors() -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for op in encoder + decoder {
            guard case .conv(let spec) = op else { continue }
            result[spec.name + ".weight"] = [spec.out, spec.in, spec.kernel, spec.kernel]
            result[spec.name + ".bias"] = [spec.out]
            if spec.batchnorm != nil {
                for part in ["weight", "bias", "running_mean", "running_var"] {
                    result[spec.name + ".bn." + part] = [spec.out]
                }
            }
        }
        return result
    }

    /// The convolutions of encoder and decoder, in order.
    public var convolutions: [ConvSpec] {
        (encoder + decoder).compactMap { op in
            if case .conv(let spec) = op { return spec }
            return nil
        }
    }

    // MARK: - Steps

    private func validateHead() throws(PackageError) {
        guard width.isFinite, width > 0 else { throw fail("width must be a positive number") }
        guard input.mean.count == 3, input.std.count == 3,
              input.mean.allSatisfy(\.isFinite),
              input.std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw fail("input.mean needs 3 finite numbers and input.std 3 positive ones")
        }
        guard input.padMultiple >= 1, input.padMultiple <= 4096 else {
            throw fail("input.pad_multiple must be in 1...4096")
        }
        guard !levels.isEmpty else { throw fail("levels must not be empty") }
        var seen = Set<String>()
        for level in levels {
            guard !level.name.isEmpty, level.name.utf8.count <= 64 else {
                throw fail("a level name must be 1-64 bytes")
            }
            guard seen.insert(level.name).inserted else {
                throw fail("level \"\(level.name)\" is declared twice")
            }
            guard level.channels >= 1, level.channels <= Self.maxChannels,
                  level.stride >= 1, level.stride <= 4096 else {
                throw fail("level \"\(level.name)\" needs channels in 1...\(Self.maxChannels)"
                           + " and stride in 1...4096")
            }
        }
    }

    /// Walks the encoder; returns the deepest stride reached.
    private func validateEncoder(names: inout Set<String>) throws(PackageError) -> Int {
        var channels = 3
        var stride = 1
        var deepest = 1
        var tapped = Set<String>()
        for (index, op) in encoder.enumerated() {
            let at = "encoder[\(index)]"
            switch op {
            case .conv(let spec):
                try checkConv(spec, at: at, channels: channels, names: &names)
                channels = spec.out
            case .maxpool:
                guard stride <= 2048 else { throw fail("\(at): too many poolings") }
                stride *= 2
                deepest = max(deepest, stride)
            case .upsample:
                guard stride >= 2 else {
                    throw fail("\(at): upsample would go past the input's resolution")
                }
                stride /= 2
            case .tap(let name):
                guard let level = level(named: name) else {
                    throw fail("\(at): tap of undeclared level \"\(name)\"")
                }
                guard tapped.insert(name).inserted else {
                    throw fail("\(at): level \"\(name)\" is tapped twice")
                }
                guard level.channels == channels, level.stride == stride else {
                    throw fail("\(at): level \"\(name)\" is declared with \(level.channels)"
                               + " channels at stride \(level.stride) but tapped with"
                               + " \(channels) at stride \(stride)")
                }
            case .input, .merge:
                throw fail("\(at): input and merge are decoder ops")
            }
        }
        for level in levels where !tapped.contains(level.name) {
            throw fail("level \"\(level.name)\" is never tapped by the encoder")
        }
        return deepest
    }

    private func validateDecoder(names: inout Set<String>) throws(PackageError) {
        guard case .input(let first)? = decoder.first else {
            throw fail("decoder[0] must be {\"op\": \"input\", \"level\": …}")
        }
        guard let start = level(named: first) else {
            throw fail("decoder[0]: input of undeclared level \"\(first)\"")
        }
        var channels = start.channels
        var stride = start.stride
        for (index, op) in decoder.enumerated().dropFirst() {
            let at = "decoder[\(index)]"
            switch op {
            case .conv(let spec):
                try checkConv(spec, at: at, channels: channels, names: &names)
                channels = spec.out
            case .maxpool:
                guard stride <= 2048 else { throw fail("\(at): too many poolings") }
                stride *= 2
            case .upsample:
                guard stride >= 2 else {
                    throw fail("\(at): upsample would go past the input's resolution")
                }
                stride /= 2
            case .merge(let name, let mode):
                guard let level = level(named: name) else {
                    throw fail("\(at): merge of undeclared level \"\(name)\"")
                }
                guard level.stride == stride else {
                    throw fail("\(at): level \"\(name)\" has stride \(level.stride) but the"
                               + " decoder is at stride \(stride)")
                }
                switch mode {
                case .concat:
                    channels += level.channels
                case .add:
                    guard level.channels == channels else {
                        throw fail("\(at): add needs \(channels) channels but \"\(name)\" has"
                                   + " \(level.channels)")
                    }
                }
            case .tap:
                throw fail("\(at): tap is an encoder op")
            case .input:
                throw fail("\(at): input may only be the decoder's first op")
            }
        }
        guard channels == output.decoderChannels, stride == 1 else {
            throw fail("the decoder must end with \(output.decoderChannels) channels at stride 1"
                       + " (output \(output.rawValue)), not \(channels) channels at stride"
                       + " \(stride)")
        }
    }

    private func checkConv(_ spec: ConvSpec, at: String, channels: Int,
                           names: inout Set<String>) throws(PackageError) {
        guard !spec.name.isEmpty,
              spec.name.utf8.count + ".bn.running_mean".utf8.count <= TensorName.maxBytes else {
            throw fail("\(at): a conv name must be 1-\(TensorName.maxBytes - 16) bytes")
        }
        guard names.insert(spec.name).inserted else {
            throw fail("\(at): conv name \"\(spec.name)\" is used twice")
        }
        guard spec.in == channels else {
            throw fail("\(at): conv \"\(spec.name)\" takes \(spec.in) channels but receives"
                       + " \(channels)")
        }
        guard spec.out >= 1, spec.out <= Self.maxChannels else {
            throw fail("\(at): conv \"\(spec.name)\" needs out in 1...\(Self.maxChannels)")
        }
        guard spec.kernel >= 1, spec.kernel <= 15, spec.kernel % 2 == 1 else {
            throw fail("\(at): conv \"\(spec.name)\" needs an odd kernel in 1...15")
        }
        guard spec.padding == .zero || spec.padding == .reflect else {
            throw fail("\(at): conv \"\(spec.name)\" padding must be zero or reflect")
        }
    }

    private func fail(_ message: String) -> PackageError {
        PackageError(.badArchitecture, message, context: ["architecture.family": family])
    }

    /// The largest channel count accepted anywhere, so sizes derived from it cannot overflow.
    static let maxChannels = 1 << 16
}
