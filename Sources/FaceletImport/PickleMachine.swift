/// A restricted pickle reader: it understands exactly the opcodes (protocols 2-5) and globals a
/// PyTorch state dict needs and refuses everything else with an error naming it.
///
/// It never imports or calls anything: an allow-listed global becomes a marker value, and
/// `REDUCE` on one of them builds a dict or a tensor description in Swift. Any other global
/// (`posix.system`, `builtins.eval`, …), and any opcode that could build an arbitrary object
/// (`INST`, `OBJ`, `NEWOBJ`, `EXT*`, …), stops the read.
struct PickleMachine {
    /// The bytes of the whole file (the pickle may start anywhere in it).
    private let bytes: [UInt8]
    private var position: Int
    private var stack: [Node] = []
    private var memo: [Int: Node] = [:]

    /// The deepest nesting the result may have (a state dict needs about 4).
    static let maxDepth = 64

    /// Prepares to read a pickle that starts at `offset` of `bytes`.
    init(bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.position = offset
    }

    /// Runs the pickle up to its `STOP`.
    /// - Returns: the result and the offset just past `STOP`.
    /// - Throws: `ImportError` `.badPickle`, `.forbiddenGlobal`, `.forbiddenOpcode` or
    ///   `.notStateDict` (a call with arguments that are not those of a state dict).
    mutating func run() throws(ImportError) -> (value: PickleValue, end: Int) {
        while true {
            let opcodeOffset = position
            let opcode = try byte()
            do {
                if let result = try step(opcode) {
                    return (try Self.freeze(result, depth: 0), position)
                }
            } catch {
                throw error.adding(["pickle.offset": String(opcodeOffset)])
            }
        }
    }

    // MARK: - Values while running

    /// A value on the stack or in the memo.
    private indirect enum Node {
        case value(PickleValue)
        case list(ListBox)
        case dict(DictBox)
        case tuple([Node])
        case mark
    }

    private final class ListBox {
        var items: [Node] = []
    }

    private final class DictBox {
        var pairs: [(Node, Node)] = []
    }

    /// Turns a finished node into a value, refusing cycles and absurd nesting.
    private static func freeze(_ node: Node, depth: Int) throws(ImportError) -> PickleValue {
        guard depth < maxDepth else {
            throw ImportError(.badPickle,
                              "the pickle nests containers more than \(maxDepth) deep (or refers"
                              + " to itself); a state dict never does")
        }
        switch node {
        case .value(let value): return value
        case .mark: throw ImportError(.badPickle, "a MARK was left on the stack")
        case .tuple(let items):
            var out: [PickleValue] = []
            for item in items { out.append(try freeze(item, depth: depth + 1)) }
            return .tuple(out)
        case .list(let box):
            var out: [PickleValue] = []
            for item in box.items { out.append(try freeze(item, depth: depth + 1)) }
            return .list(out)
        case .dict(let box):
            var out: [(key: PickleValue, value: PickleValue)] = []
            for (key, value) in box.pairs {
                out.append((try freeze(key, depth: depth + 1), try freeze(value, depth: depth + 1)))
            }
            return .dict(out)
        }
    }

    // MARK: - Opcodes

    /// Executes one opcode; returns the result at `STOP`.
    private mutating func step(_ opcode: UInt8) throws(ImportError) -> Node? {
        switch opcode {
        case 0x80: _ = try byte()  // PROTO n
        case 0x95: _ = try take(8)  // FRAME length: framing is only a hint
        case 0x2e:  // STOP
            let result = try pop()
            return result
        case 0x28: stack.append(.mark)  // MARK
        case 0x30: _ = try pop()  // POP
        case 0x31: _ = try popToMark()  // POP_MARK
        case 0x32: stack.append(try peek())  // DUP
        case 0x4e: stack.append(.value(.none))  // NONE
        case 0x88: stack.append(.value(.bool(true)))  // NEWTRUE
        case 0x89: stack.append(.value(.bool(false)))  // NEWFALSE
        case 0x4a:  // BININT, signed
            stack.append(.value(.int(Int(Int32(truncatingIfNeeded: try uint(4))))))
        case 0x4b: stack.append(.value(.int(Int(try byte()))))  // BININT1
        case 0x4d: stack.append(.value(.int(Int(try uint(2)))))  // BININT2
        case 0x8a: stack.append(.value(.int(try long(count: Int(try byte())))))  // LONG1
        case 0x8b: stack.append(.value(.int(try long(count: try length(4)))))  // LONG4
        case 0x47:  // BINFLOAT, big-endian
            let raw = try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            stack.append(.value(.float(Double(bitPattern: raw))))
        case 0x8c: stack.append(.value(.string(try text(try length(1)))))  // SHORT_BINUNICODE
        case 0x58: stack.append(.value(.string(try text(try length(4)))))  // BINUNICODE
        case 0x8d: stack.append(.value(.string(try text(try length(8)))))  // BINUNICODE8
        case 0x55: stack.append(.value(.string(try text(try length(1)))))  // SHORT_BINSTRING
        case 0x54: stack.append(.value(.string(try text(try length(4)))))  // BINSTRING
        case 0x43: stack.append(.value(.bytes(try take(try length(1)))))  // SHORT_BINBYTES
        case 0x42: stack.append(.value(.bytes(try take(try length(4)))))  // BINBYTES
        case 0x8e: stack.append(.value(.bytes(try take(try length(8)))))  // BINBYTES8
        case 0x7d: stack.append(.dict(DictBox()))  // EMPTY_DICT
        case 0x5d: stack.append(.list(ListBox()))  // EMPTY_LIST
        case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
        case 0x74: stack.append(.tuple(try popToMark()))  // TUPLE
        case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
            let count = Int(opcode - 0x84)
            var items: [Node] = []
            for _ in 0..<count { items.insert(try pop(), at: 0) }
            stack.append(.tuple(items))
        case 0x61:  // APPEND
            let item = try pop()
            try list(try peek()).items.append(item)
        case 0x65:  // APPENDS
            let items = try popToMark()
            try list(try peek()).items.append(contentsOf: items)
        case 0x73:  // SETITEM
            let value = try pop()
            let key = try pop()
            try dict(try peek()).pairs.append((key, value))
        case 0x75:  // SETITEMS
            let items = try popToMark()
            guard items.count % 2 == 0 else {
                throw ImportError(.badPickle, "SETITEMS got an odd number of items")
            }
            let box = try dict(try peek())
            for index in stride(from: 0, to: items.count, by: 2) {
                box.pairs.append((items[index], items[index + 1]))
            }
        case 0x68: stack.append(try recall(Int(try byte())))  // BINGET
        case 0x6a: stack.append(try recall(Int(try uint(4))))  // LONG_BINGET
        case 0x71: memo[Int(try byte())] = try peek()  // BINPUT
        case 0x72: memo[Int(try uint(4))] = try peek()  // LONG_BINPUT
        case 0x94: memo[memo.count] = try peek()  // MEMOIZE
        case 0x63:  // GLOBAL "module\nname\n"
            let module = try line()
            let name = try line()
            stack.append(.value(.global(try Self.allow(module: module, name: name))))
        case 0x93:  // STACK_GLOBAL
            let name = try string(try pop(), what: "STACK_GLOBAL name")
            let module = try string(try pop(), what: "STACK_GLOBAL module")
            stack.append(.value(.global(try Self.allow(module: module, name: name))))
        case 0x52:  // REDUCE
            let arguments = try pop()
            let callable = try pop()
            stack.append(try reduce(callable, arguments))
        case 0x62:  // BUILD: only the attribute dict of an OrderedDict (`_metadata`), ignored
            _ = try pop()
            guard case .dict = try peek() else {
                throw ImportError(.forbiddenOpcode,
                                  "BUILD sets state on a non-dict object; a state dict never"
                                  + " does that", context: ["pickle.opcode": "BUILD"])
            }
        case 0x51:  // BINPERSID
            stack.append(.value(.storage(try storage(try pop()))))
        default:
            throw Self.forbidden(opcode)
        }
        return nil
    }

    // MARK: - Calls

    private static func allow(module: String, name: String) throws(ImportError) -> AllowedGlobal {
        guard let global = AllowedGlobal(module: module, name: name) else {
            let qualified = "\(module.prefix(80)).\(name.prefix(80))"
            throw ImportError(.forbiddenGlobal,
                              "the pickle names the global \(qualified), which a state dict"
                              + " never needs; the file is refused unread (importing never runs"
                              + " code from a file). Save only model.state_dict() in PyTorch.",
                              context: ["pickle.global": qualified])
        }
        return global
    }

    /// `REDUCE`: calls an allow-listed global, in Swift, on the arguments a state dict uses.
    private func reduce(_ callable: Node, _ arguments: Node) throws(ImportError) -> Node {
        guard case .value(.global(let global)) = callable else {
            throw ImportError(.forbiddenOpcode,
                              "REDUCE calls something that is not an allowed global",
                              context: ["pickle.opcode": "REDUCE"])
        }
        guard case .tuple(let args) = arguments else {
            throw ImportError(.badPickle, "REDUCE arguments are not a tuple")
        }
        let context = ["pickle.global": global.qualifiedName]
        switch global {
        case .orderedDict:
            let box = DictBox()
            if args.count == 1, case .list(let pairs) = args[0] {
                // Python 3 passes (key, value) tuples; Python 2's OrderedDict.__reduce__
                // passes [key, value] lists (the 2018 release was saved from Python 2).
                for pair in pairs.items {
                    switch pair {
                    case .tuple(let kv) where kv.count == 2:
                        box.pairs.append((kv[0], kv[1]))
                    case .list(let kv) where kv.items.count == 2:
                        box.pairs.append((kv.items[0], kv.items[1]))
                    default:
                        throw ImportError(.notStateDict, "OrderedDict() got a non-pair",
                                          context: context)
                    }
                }
            } else if !args.isEmpty {
                throw ImportError(.notStateDict, "OrderedDict() got unexpected arguments",
                                  context: context)
            }
            return .dict(box)
        case .rebuildTensorV2, .rebuildTensor:
            let minimum = global == .rebuildTensor ? 4 : 6
            guard args.count >= minimum, args.count <= 7 else {
                throw ImportError(.notStateDict,
                                  "\(global.qualifiedName) got \(args.count) arguments",
                                  context: context)
            }
            guard case .value(.storage(let storage)) = args[0] else {
                throw ImportError(.notStateDict,
                                  "\(global.qualifiedName) needs a storage as first argument",
                                  context: context)
            }
            let offset = try int(args[1], what: "storage offset")
            let shape = try ints(args[2], what: "size")
            let strides = try ints(args[3], what: "stride")
            guard shape.count == strides.count else {
                throw ImportError(.badStrides,
                                  "size \(shape) and stride \(strides) differ in length",
                                  context: context)
            }
            return .value(.tensor(TensorReference(storage: storage, offset: offset,
                                                  shape: shape, strides: strides)))
        case .rebuildParameter:
            guard args.count == 3, case .value(.tensor(let tensor)) = args[0] else {
                throw ImportError(.notStateDict,
                                  "_rebuild_parameter needs (tensor, requires_grad, hooks)",
                                  context: context)
            }
            return .value(.tensor(tensor))
        case .storageType:
            throw ImportError(.forbiddenOpcode,
                              "REDUCE calls \(global.qualifiedName); storages may only appear"
                              + " in persistent ids", context: context)
        }
    }

    /// A persistent id `("storage", StorageClass, key, location, numel[, view])`.
    private func storage(_ pid: Node) throws(ImportError) -> StorageReference {
        guard case .tuple(let items) = pid, items.count == 5 || items.count == 6,
              case .value(.string("storage")) = items[0] else {
            throw ImportError(.notStateDict,
                              "a persistent id is not (\"storage\", type, key, location, numel)")
        }
        guard case .value(.global(.storageType(let dtype))) = items[1] else {
            throw ImportError(.notStateDict, "a persistent id names no storage class")
        }
        let key = try string(items[2], what: "storage key")
        let count = try int(items[4], what: "storage numel")
        if items.count == 6, case .value(.none) = items[5] {} else if items.count == 6 {
            throw ImportError(.notStateDict,
                              "storage \(key) is a view of another storage (PyTorch 0.3 views);"
                              + " re-save the checkpoint with a recent PyTorch",
                              context: ["storage.key": key])
        }
        guard count >= 0, key.utf8.count <= 256, !key.contains("/"), !key.contains("\\"),
              !key.hasPrefix(".") else {
            throw ImportError(.notStateDict, "storage key or size is invalid",
                              context: ["storage.key": String(key.prefix(80))])
        }
        return StorageReference(dtype: dtype, key: key, count: count)
    }

    private func int(_ node: Node, what: String) throws(ImportError) -> Int {
        guard case .value(.int(let value)) = node else {
            throw ImportError(.notStateDict, "the \(what) is not an integer")
        }
        return value
    }

    private func ints(_ node: Node, what: String) throws(ImportError) -> [Int] {
        guard case .tuple(let items) = node else {
            throw ImportError(.notStateDict, "the \(what) is not a tuple")
        }
        var out: [Int] = []
        for item in items { out.append(try int(item, what: what)) }
        return out
    }

    private func string(_ node: Node, what: String) throws(ImportError) -> String {
        guard case .value(.string(let value)) = node else {
            throw ImportError(.badPickle, "the \(what) is not a string")
        }
        return value
    }

    private func list(_ node: Node) throws(ImportError) -> ListBox {
        guard case .list(let box) = node else {
            throw ImportError(.badPickle, "APPEND(S) onto something that is not a list")
        }
        return box
    }

    private func dict(_ node: Node) throws(ImportError) -> DictBox {
        guard case .dict(let box) = node else {
            throw ImportError(.badPickle, "SETITEM(S) onto something that is not a dict")
        }
        return box
    }

    // MARK: - Stack

    private mutating func pop() throws(ImportError) -> Node {
        guard let top = stack.popLast() else {
            throw ImportError(.badPickle, "the pickle pops an empty stack")
        }
        if case .mark = top { throw ImportError(.badPickle, "the pickle pops a MARK") }
        return top
    }

    private func peek() throws(ImportError) -> Node {
        guard let top = stack.last else {
            throw ImportError(.badPickle, "the pickle reads an empty stack")
        }
        if case .mark = top { throw ImportError(.badPickle, "the pickle reads a MARK") }
        return top
    }

    private mutating func popToMark() throws(ImportError) -> [Node] {
        guard let mark = stack.lastIndex(where: { if case .mark = $0 { true } else { false } })
        else {
            throw ImportError(.badPickle, "the pickle expects a MARK that is not there")
        }
        let items = Array(stack[(mark + 1)...])
        stack.removeSubrange(mark...)
        return items
    }

    private func recall(_ index: Int) throws(ImportError) -> Node {
        guard let node = memo[index] else {
            throw ImportError(.badPickle, "the pickle reads memo slot \(index), never written")
        }
        return node
    }

    // MARK: - Bytes

    private mutating func byte() throws(ImportError) -> UInt8 {
        guard position < bytes.count else { throw Self.truncated }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws(ImportError) -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else { throw Self.truncated }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    /// An unsigned little-endian integer of `count` bytes (at most 8).
    private mutating func uint(_ count: Int) throws(ImportError) -> UInt64 {
        try take(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// A length field of `count` bytes that must fit the rest of the file.
    private mutating func length(_ count: Int) throws(ImportError) -> Int {
        let value = try uint(count)
        guard value <= UInt64(bytes.count - position) else { throw Self.truncated }
        return Int(value)
    }

    /// A two's-complement little-endian integer of `count` bytes; more than 8 is refused.
    private mutating func long(count: Int) throws(ImportError) -> Int {
        guard count <= 8 else {
            throw ImportError(.notStateDict,
                              "an integer of \(count) bytes is larger than any size or offset")
        }
        guard count > 0 else { return 0 }
        let raw = try take(count)
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if count < 8, raw[count - 1] & 0x80 != 0 { value |= ~UInt64(0) << (8 * count) }
        return Int(Int64(bitPattern: value))
    }

    private mutating func text(_ count: Int) throws(ImportError) -> String {
        let raw = try take(count)
        // Python 2 `str` (BINSTRING) is bytes; state-dict keys are ASCII either way.
        return String(validating: raw, as: UTF8.self)
            ?? String(raw.map { Character(Unicode.Scalar($0)) })
    }

    /// A newline-terminated ASCII line (`GLOBAL`'s operands), at most 256 bytes.
    private mutating func line() throws(ImportError) -> String {
        var raw: [UInt8] = []
        while true {
            let next = try byte()
            if next == 0x0a { break }
            raw.append(next)
            guard raw.count <= 256 else {
                throw ImportError(.badPickle, "a GLOBAL operand is longer than 256 bytes")
            }
        }
        return String(decoding: raw, as: UTF8.self)
    }

    private static let truncated = ImportError(.badPickle,
                                               "the pickle ends in the middle of an opcode; the"
                                               + " file is truncated or corrupt")

    /// The refusal of an opcode outside the restricted set, naming it.
    private static func forbidden(_ opcode: UInt8) -> ImportError {
        let names: [UInt8: String] = [
            0x69: "INST", 0x6f: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x50: "PERSID",
            0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x53: "STRING", 0x56: "UNICODE",
            0x49: "INT", 0x4c: "LONG", 0x46: "FLOAT", 0x67: "GET", 0x70: "PUT", 0x64: "DICT",
            0x6c: "LIST", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET",
            0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
        ]
        let hex = String(opcode, radix: 16)
        let name = names[opcode].map { "\($0) (0x\(hex))" } ?? "0x\(hex)"
        return ImportError(.forbiddenOpcode,
                           "the pickle uses opcode \(name), which the restricted reader does not"
                           + " accept in a state dict; the file is refused",
                           context: ["pickle.opcode": name])
    }
}
