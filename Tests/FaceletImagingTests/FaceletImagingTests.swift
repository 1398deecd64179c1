import Testing
@testable import FaceletImaging
