import FaceletModel
import FaceletTensor
import Testing

@Suite("FeatureSet")
struct FeatureSetTests {
    @Test("levels keep insertion order; setting nil removes a level")
    func orderAndRemoval() {
        var set = FeatureSet([("a", Tensor(zeros: [1, 1, 1, 1])),
                              ("b", Tensor(zeros: [1, 1, 1, 1]))])
        set["c"] = Tensor(repeating: 2, shape: [1, 1, 1, 1])
        set["a"] = Tensor(repeating: 1, shape: [1, 1, 1, 1])
        #expect(set.names == ["a", "b", "c"])
        #expect(set["a"]?.data == [1])
        set["b"] = nil
        #expect(set.names == ["a", "c"] && set.count == 2)
    }

    @Test("adding scales the change on the chosen levels only")
    func addingOnChosenLevels() {
        let base = FeatureSet([("a", Tensor(shape: [1, 1, 1, 2], data: [1, 2])),
                               ("b", Tensor(shape: [1, 1, 1, 2], data: [3, 4]))])
        let change = FeatureSet([("a", Tensor(shape: [1, 1, 1, 2], data: [10, 20])),
                                 ("b", Tensor(shape: [1, 1, 1, 2], data: [30, 40]))])
        let all = base.adding(change, scale: 0.5)
        #expect(all["a"]?.data == [6, 12] && all["b"]?.data == [18, 24])
        let some = base.adding(change, scale: -1, levels: ["b", "z"])
        #expect(some["a"]?.data == [1, 2] && some["b"]?.data == [-27, -36])
    }
}
