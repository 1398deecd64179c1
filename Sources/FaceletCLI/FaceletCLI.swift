// FaceletCLI: placeholder until the module lands.
public enum FaceletCommandLine {
    public static func main() {}
}
