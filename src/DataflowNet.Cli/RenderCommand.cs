namespace DataflowNet.Cli;

/// <summary><c>dataflow render FILE -o graph.svg [--collapse SCOPE]...</c>.</summary>
internal static class RenderCommand
{
    public static int Execute(Options o, TextWriter stdout)
    {
        var path = o.File("render");
        var output = o.One("-o", "--output") ?? throw new UsageError("render needs -o OUT.svg");
        var model = GraphModel.Load(GraphFile.Read(path));
        var collapse = o.All("--collapse").Select(s => s.TrimEnd('/')).ToList();
        foreach (var c in collapse)
            if (!model.Nodes.Any(n => n.Name.StartsWith(c + "/", StringComparison.Ordinal)))
                throw new CliError($"--collapse {c}: the graph has no name scope '{c}'.");
        var drawing = GraphDrawing.Layout(model, collapse);
        var dir = Path.GetDirectoryName(Path.GetFullPath(output));
        if (dir is not null) Directory.CreateDirectory(dir);
        drawing.ToSvg(Path.GetFileName(path)).Save(output);
        stdout.WriteLine($"wrote {output} ({drawing.Nodes.Count(n => !n.Dummy)} nodes, {drawing.Scopes.Count - 1} name scopes, {drawing.Layers} layers)");
        return 0;
    }
}
