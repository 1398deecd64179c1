// FaceletImaging: placeholder until the module lands.
