// FaceletTensor: placeholder until the module lands.
