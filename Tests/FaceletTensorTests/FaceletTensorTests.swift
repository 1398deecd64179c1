import Testing
@testable import FaceletTensor
