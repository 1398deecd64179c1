import FaceletCLI

// The executable is a thin shell: everything lives in FaceletCLI so tests can drive it.
FaceletCommandLine.main()
