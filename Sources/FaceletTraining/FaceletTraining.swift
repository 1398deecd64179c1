// FaceletTraining: placeholder until the module lands.
