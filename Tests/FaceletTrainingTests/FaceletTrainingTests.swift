import Testing
@testable import FaceletTraining
