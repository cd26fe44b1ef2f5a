using Spectre.Console;
using Spectre.Console.Rendering;

namespace DataflowNet.Cli;

/// <summary><c>dataflow inspect FILE</c>: a table of the ops and a summary line.</summary>
internal static class InspectCommand
{
    public static int Execute(Options o, IAnsiConsole console)
    {
        var path = o.File("inspect");
        var model = GraphModel.Load(GraphFile.Read(path));
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(Path.GetFileName(path))}[/]");
        table.AddColumn("name");
        table.AddColumn("op");
        table.AddColumn("inputs");
        table.AddColumn("outputs");
        var withDevices = model.Nodes.Any(n => n.Device.Length > 0);
        if (withDevices) table.AddColumn("device");
        foreach (var n in model.Nodes)
        {
            var inputs = string.Join("\n", n.Inputs.Select(i => i.Control ? $"^{i.Node}" : i.Index == 0 ? i.Node : $"{i.Node}:{i.Index}"));
            var outputs = string.Join("\n", n.Outputs.Select((t, i) => $"{i}: {t.DType} {t.Shape}"));
            var op = n.Supported ? $"[{Colour(n.Kind)}]{Markup.Escape(n.Op)}[/]" : $"[red]{Markup.Escape(n.Op)} (missing)[/]";
            var row = new List<IRenderable> { new Text(n.Name), new Markup(op), new Text(inputs), new Text(outputs) };
            if (withDevices) row.Add(new Text(n.Device));
            table.AddRow(row);
        }
        console.Write(table);

        var histogram = model.Nodes.GroupBy(n => n.Op).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} ×{g.Count()}");
        console.WriteLine($"{model.Nodes.Count} nodes, {model.Nodes.Select(n => n.Op).Distinct().Count()} op types: {string.Join(", ", histogram)}");
        if (model.MissingOps.Length > 0)
            console.MarkupLine($"[red]DataflowNet lacks {model.MissingOps.Length} op type(s): {Markup.Escape(string.Join(", ", model.MissingOps))}[/] (shapes shown as the file records them)");
        else if (model.ImportError is not null)
            console.MarkupLine($"[yellow]not importable: {Markup.Escape(model.ImportError)}[/]");
        return 0;
    }

    public static string Colour(string kind) => kind switch
    {
        "placeholder" => "darkorange",
        "variable" => "green",
        "const" => "grey",
        "unknown" => "red",
        _ => "deepskyblue1",
    };
}
