import FaceletModel
import FaceletPackage
import FaceletRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Installs and removes a bank `cycles` times and reports resident memory against the
/// baseline taken after a short warm-up.
func soak(cycles: Int, width: Double) throws {
    let backbonePackage = try RandomWeights.backbone(.vgg19(width: width), seed: 1).package
    let backbone = try Backbone(package: backbonePackage)
    let banks = try (0..<2).map { seed in
        try RandomWeights.bank(for: backbone, seed: UInt64(seed), name: "soak").data
    }
    let runtime = FaceletRuntime(backbone: backbone)
    func cycle(_ index: Int) throws {
        // Read from the bytes each time: the whole load path, not just the table switch.
        try runtime.install(data: banks[index % 2], as: "soak")
        runtime.remove("soak")
    }
    // The baseline: backbone loaded, no bank ever installed.
    let baseline = ProcessMemory.residentBytes() ?? 0
    let bankBytes = try runtime.install(data: banks[0], as: "soak").residentBytes
    let withBank = ProcessMemory.residentBytes() ?? 0
    runtime.remove("soak")
    let afterRemove = ProcessMemory.residentBytes() ?? 0
    for index in 0..<20 { try cycle(index) }
    let warm = ProcessMemory.residentBytes() ?? 0

    print("soak: \(cycles) install/remove cycles of a \(bankBytes)-byte bank"
          + " (backbone width \(width), package read from bytes each cycle)")
    print("soak: baseline resident \(baseline) bytes (backbone loaded, no bank yet);"
          + " with one bank installed \(signed(withBank - baseline));"
          + " after removing it \(signed(afterRemove - baseline));"
          + " after 20 more cycles \(signed(warm - baseline))")
    let started = now()
    var peak = baseline
    for index in 0..<cycles {
        try cycle(index)
        if (index + 1) % max(cycles / 10, 1) == 0 {
            let resident = ProcessMemory.residentBytes() ?? 0
            peak = max(peak, resident)
            print("soak: after \(index + 1) cycles resident \(resident) bytes"
                  + " (\(signed(resident - baseline)) vs baseline)")
        }
    }
    let final = ProcessMemory.residentBytes() ?? 0
    let allowance = max(baseline / 20, bankBytes)
    let seconds = Double(now() - started) / 1e9
    print("soak: final resident \(final) bytes, \(signed(final - baseline)) vs baseline"
          + " (allowance max(5% = \(baseline / 20), one bank = \(bankBytes)) = \(allowance));"
          + " peak \(peak); \(String(format: "%.1f", seconds)) s"
          + " -> \(final - baseline <= allowance ? "PASS" : "FAIL")")
}

private func signed(_ value: Int) -> String {
    value >= 0 ? "+\(value)" : "\(value)"
}
