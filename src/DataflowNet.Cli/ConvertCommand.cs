namespace DataflowNet.Cli;

/// <summary><c>dataflow convert IN OUT</c>: .pb ↔ .pbtxt by extension (a .meta file's graph may be read too).</summary>
internal static class ConvertCommand
{
    public static int Execute(Options o, TextWriter stdout)
    {
        if (o.Positional.Count != 2) throw new UsageError("convert needs an input and an output file");
        var (input, output) = (o.Positional[0], o.Positional[1]);
        var def = GraphFile.Read(input);
        GraphFile.Write(def, output);
        stdout.WriteLine($"wrote {output} ({def.Node.Count} nodes)");
        return 0;
    }
}
