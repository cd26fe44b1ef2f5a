using System.Text.Json;
using System.Xml.Linq;
using DataflowNet.Io.Proto;
using NumSharp;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>The dataflow command, run in-process on the TensorFlow fixtures.</summary>
public class CliTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private string _dir = "";

    [SetUp]
    public void TempDir()
    {
        _dir = Path.Combine(Path.GetTempPath(), "dfn-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void RemoveTempDir() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Fixtures.Path(name);
    private string Temp(string name) => Path.Combine(_dir, name);

    private static (int Code, string Out, string Err) Dataflow(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = Cli.Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    // ---------- inspect ----------
    [Test]
    public void InspectListsTheOpsWithTypesShapesAndASummary()
    {
        var (code, output, err) = Dataflow("inspect", Fixture("add.pbtxt"));
        Assert.That(code, Is.EqualTo(0), err);
        var rows = output.Split('\n').Where(l => l.StartsWith("│ ")).Select(l => l.Split('│').Select(c => c.Trim()).ToArray()).ToList();
        Assert.That(rows.Select(r => r[1]), Is.EqualTo(new[] { "name", "Add", "", "input0", "input1" }));
        Assert.That(rows[1][2..5], Is.EqualTo(new[] { "Add", "input0", "0: int32 <unknown>" }));
        Assert.That(rows[2][3], Is.EqualTo("input1"));
        Assert.That(rows[3][2..5], Is.EqualTo(new[] { "Placeholder", "", "0: int32 <unknown>" }));
        Assert.That(output, Does.Contain("3 nodes, 2 op types: Placeholder ×2, Add ×1"));
        Assert.That(err, Is.Empty);
    }

    [Test]
    public void InspectShowsInferredShapesOfAMetaGraphAndDevices()
    {
        var (code, output, _) = Dataflow("inspect", Fixture("xor.meta"));
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Match(@"│ MatMul\s+│ MatMul\s+│ Placeholder\s+│ 0: float32 \(4, 8\)"));
        Assert.That(output, Does.Contain("71 nodes, 26 op types: Const ×17, Identity ×9, MatMul ×6"));

        var (_, devices, _) = Dataflow("inspect", Fixture("const-values.pbtxt"));
        Assert.That(devices, Does.Match(@"│ x\s+│ Const\s+│\s+│ 0: float32 \(2, 3\)\s+│ /device:CPU:0"));
    }

    /// <summary>A graph with an op type DataflowNet does not have (Erf), recording its shapes as TensorFlow does.</summary>
    private string UnknownOpGraph()
    {
        var path = Temp("erf.pbtxt");
        File.WriteAllText(path, """
            node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape { dim { size: 3 } } } } }
            node { name: "erf/Erf" op: "Erf" input: "x" attr { key: "T" value { type: DT_FLOAT } }
                   attr { key: "_output_shapes" value { list { shape { dim { size: 3 } } } } } }
            node { name: "y" op: "Neg" input: "erf/Erf" attr { key: "T" value { type: DT_FLOAT } } }
            """);
        return path;
    }

    [Test]
    public void InspectOfAGraphWithOpsDataflowNetLacksListsTheNodesAndNamesTheMissingOps()
    {
        var (code, output, _) = Dataflow("inspect", UnknownOpGraph());
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Match(@"│ erf/Erf\s+│ Erf \(missing\)\s+│ x\s+│ 0: float32 \(3,\)"));
        Assert.That(output, Does.Match(@"│ y\s+│ Neg\s+│ erf/Erf\s+│ 0: float32 \?"));
        Assert.That(output, Does.Contain("3 nodes, 3 op types"));
        Assert.That(output, Does.Contain("DataflowNet lacks 1 op type(s): Erf"));
    }

    [Test]
    public void InspectOfTensorFlowsWhileLoopShowsItsControlFlowOps()
    {
        var (code, output, _) = Dataflow("inspect", Fixture("graph-while-loop.pbtxt"));
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Match(@"│ while/Merge\s+│ Merge\s+│ while/Enter\s+│ 0: int32 \(\)"));
        Assert.That(output, Does.Contain("12 nodes, 10 op types"));
        Assert.That(output, Does.Not.Contain("lacks"));
    }

    // ---------- run ----------
    [Test]
    public void RunFeedsJsonAndPrintsTheFetchAsJson()
    {
        var (code, output, err) = Dataflow("run", Fixture("add.pbtxt"), "--feed", "input0=2", "--feed", "input1=3", "--fetch", "Add");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Is.EqualTo("{\"Add\":5}" + Environment.NewLine));

        var (_, matrix, _) = Dataflow("run", Fixture("add.pbtxt"), "--feed=input0=[[1,2],[3,4]]", "--feed", "input1:0=10", "--fetch", "Add:0");
        Assert.That(matrix.Trim(), Is.EqualTo("{\"Add:0\":[[11,12],[13,14]]}"));
    }

    [Test]
    public void RunFetchesTheConstantsOfConstValues()
    {
        var (code, output, _) = Dataflow("run", Fixture("const-values.pbtxt"), "--fetch", "x", "--fetch", "y", "--fetch", "z:0");
        Assert.That(code, Is.EqualTo(0));
        var json = JsonDocument.Parse(output).RootElement;
        Assert.That(json.GetProperty("x").ToString(), Is.EqualTo("[[1,2,3],[4,5,6]]"));
        Assert.That(json.GetProperty("y").ToString(), Is.EqualTo("[[1,3,2],[5,4,7]]"));
        Assert.That(json.GetProperty("z:0").ToString(), Is.EqualTo("[[1,3,2],[5,4,7]]"));
    }

    [Test]
    public void RunReadsAndWritesNpyFiles()
    {
        var feed = Temp("a.npy");
        np.save(feed, np.array(new[,] { { 1, 2, 3 }, { 4, 5, 6 } }));
        var outDir = Temp("out");
        var (code, output, err) = Dataflow("run", Fixture("add.pbtxt"), "--feed", $"input0={feed}", "--feed", "input1=[100,200,300]", "--fetch", "Add", "--out", outDir);
        Assert.That(code, Is.EqualTo(0), err);
        var written = Path.Combine(outDir, "Add.npy");
        Assert.That(output.Trim(), Is.EqualTo($"wrote {written} (int32 (2, 3))"));
        var back = (NDArray)np.load(written);
        Assert.That(back.shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(back.ToArray<int>(), Is.EqualTo(new[] { 101, 202, 303, 104, 205, 306 }));
    }

    [Test]
    public void RunInitializesVariablesAndTrainsTensorFlowsXorGraph()
    {
        var (code, output, err) = Dataflow("run", Fixture("xor.meta"), "--init", "--feed", "Placeholder=[[1,0],[1,1],[0,0],[0,1]]",
            "--feed", "Placeholder_1=[1,0,0,1]", "--fetch", "loss", "--fetch", "train_op", "--fetch", "init");
        Assert.That(code, Is.EqualTo(0), err);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.That(json.GetProperty("loss").GetSingle(), Is.GreaterThan(0f));
        Assert.That(json.GetProperty("train_op").GetInt64(), Is.EqualTo(1), "the global step after one training step");
        Assert.That(json.GetProperty("init").ValueKind, Is.EqualTo(JsonValueKind.Null), "an op fetch gives null");

        var (uninitialized, _, message) = Dataflow("run", Fixture("xor.meta"), "--feed", "Placeholder=[[1,0],[1,1],[0,0],[0,1]]",
            "--feed", "Placeholder_1=[1,0,0,1]", "--fetch", "loss");
        Assert.That(uninitialized, Is.EqualTo(1));
        Assert.That(message, Does.StartWith("dataflow: error: Attempting to use uninitialized value Variable"));
    }

    [Test]
    public void RunTheRepositorysFrozenXorGraph()
    {
        var (code, output, err) = Dataflow("run", Path.Combine(Repository.Root, "graphs", "xor_frozen.pbtxt"),
            "--feed", "features=[[1,0],[1,1],[0,0],[0,1]]", "--fetch", "output");
        Assert.That(code, Is.EqualTo(0), err);
        var predictions = JsonDocument.Parse(output).RootElement.GetProperty("output").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.That(predictions, Has.Length.EqualTo(4));
        Assert.That(predictions[0], Is.GreaterThan(0.9f));
        Assert.That(predictions[1], Is.LessThan(0.1f));
        Assert.That(predictions[2], Is.EqualTo(0.5f), "no biases: sigmoid(0)");
        Assert.That(predictions[3], Is.GreaterThan(0.9f));
    }

    [TestCase("--feed", "nowhere=1", "dataflow: error: the graph has no tensor 'nowhere:0'.")]
    [TestCase("--feed", "input0=[1,", "dataflow: error: feed input0: '[1,' is neither JSON nor a .npy file")]
    [TestCase("--feed", "input0=[[1,2],[3]]", "dataflow: error: feed input0: the JSON array is not rectangular.")]
    [TestCase("--feed", "input0=1.5", "dataflow: error: feed input0: 1.5 is not an int32.")]
    [TestCase("--feed", "input0=missing.npy", "dataflow: error: missing.npy: no such file.")]
    public void RunRejectsBadFeedsInOneLine(string option, string feed, string message)
    {
        var (code, output, err) = Dataflow("run", Fixture("add.pbtxt"), option, feed, "--feed", "input1=1", "--fetch", "Add");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(err, Does.StartWith(message));
        Assert.That(err.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void RunRefusesAFeedGivenTwiceANegativeOutputAndAnOutOfRangeFloat()
    {
        var (twice, _, twiceErr) = Dataflow("run", Fixture("add.pbtxt"), "--feed", "input0=1", "--feed", "input0:0=2", "--feed", "input1=1", "--fetch", "Add");
        Assert.That(twice, Is.EqualTo(2), "a usage error, as the Session's own 'fed twice'");
        Assert.That(twiceErr, Does.StartWith("dataflow: --feed gives input0:0 twice"));
        var (negative, _, negativeErr) = Dataflow("run", Fixture("add.pbtxt"), "--feed", "input0=1", "--feed", "input1=1", "--fetch", "Add:-1");
        Assert.That(negative, Is.EqualTo(1));
        Assert.That(negativeErr.Trim(), Is.EqualTo("dataflow: error: the graph has no tensor 'Add:-1'."));
        var (big, _, bigErr) = Dataflow("run", Path.Combine(Repository.Root, "graphs", "xor_frozen.pbtxt"),
            "--feed", "features=[[1e39,0],[1,1],[0,0],[0,1]]", "--fetch", "output");
        Assert.That(big, Is.EqualTo(1));
        Assert.That(bigErr.Trim(), Is.EqualTo("dataflow: error: feed features: 1e39 is not a float32."));
    }

    [Test]
    public void RunOfAGraphItCannotImportSaysWhy()
    {
        var (code, _, err) = Dataflow("run", UnknownOpGraph(), "--feed", "x=[1,2,3]", "--fetch", "y");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err.Trim(), Does.EndWith("cannot run in DataflowNet: DataflowNet has no op Erf."));
    }

    [Test]
    public void RunTensorFlowsWhileLoopAndCond()
    {
        Assert.That(Dataflow("run", Fixture("graph-while-loop.pbtxt"), "--fetch", "while/Exit").Out.Trim(), Is.EqualTo("{\"while/Exit\":10}"));
        Assert.That(Dataflow("run", Fixture("cond_test.meta"), "--fetch", "cond/Merge").Out.Trim(), Is.EqualTo("{\"cond/Merge\":34}"));
    }

    // ---------- render ----------
    [Test]
    public void RenderWritesAnSvgWithABoxPerNameScopeAndLabelledEdges()
    {
        var svgPath = Temp("xor.svg");
        var (code, output, err) = Dataflow("render", Fixture("xor.meta"), "-o", svgPath);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output.Trim(), Does.StartWith($"wrote {svgPath} (71 nodes, "));
        var svg = XDocument.Load(svgPath).Root!;
        Assert.That(svg.Name, Is.EqualTo(Svg + "svg"));

        var def = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixture("xor.meta"))).GraphDef;
        var scopes = def.Node.SelectMany(n => Enumerable.Range(1, n.Name.Count(c => c == '/')).Select(k => string.Join('/', n.Name.Split('/').Take(k)))).ToHashSet();
        var boxes = svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "scope").ToList();
        Assert.That(boxes.Select(b => (string)b.Attribute("data-name")!), Is.EquivalentTo(scopes));
        Assert.That(boxes.Select(b => b.Element(Svg + "rect")!.Attribute("rx")!.Value), Is.All.EqualTo("12"), "rounded boxes");
        Assert.That(scopes, Does.Contain("gradients/MatMul_grad/tuple"));

        var nodes = svg.Descendants(Svg + "g").Where(g => ((string?)g.Attribute("class"))?.StartsWith("node ") == true && g.Attribute("data-name") is not null).ToList();
        Assert.That(nodes, Has.Count.EqualTo(71));
        Assert.That(nodes.Single(n => (string)n.Attribute("data-name")! == "Placeholder").Attribute("class")!.Value, Is.EqualTo("node placeholder"));
        Assert.That(nodes.Single(n => (string)n.Attribute("data-name")! == "Variable").Attribute("class")!.Value, Is.EqualTo("node variable"));
        Assert.That(nodes.Single(n => (string)n.Attribute("data-name")! == "MatMul").Attribute("class")!.Value, Is.EqualTo("node op"));

        var labels = svg.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "edge-label").ToList();
        var matmulToRelu = labels.Single(t => (string)t.Attribute("data-from")! == "MatMul" && (string)t.Attribute("data-to")! == "Relu");
        Assert.That(matmulToRelu.Value, Is.EqualTo("(4, 8)"));
        Assert.That(svg.Descendants(Svg + "path").Count(p => ((string?)p.Attribute("class"))?.StartsWith("edge") == true), Is.GreaterThan(70));
    }

    [Test]
    public void RenderBoxesDoNotOverlapAndHoldTheirNodes()
    {
        var svgPath = Temp("xor.svg");
        Assert.That(Dataflow("render", Fixture("xor.meta"), "-o", svgPath).Code, Is.EqualTo(0));
        var svg = XDocument.Load(svgPath).Root!;
        (double X, double Y, double W, double H) Rect(XElement r) =>
            (double.Parse(r.Attribute("x")!.Value), double.Parse(r.Attribute("y")!.Value), double.Parse(r.Attribute("width")!.Value), double.Parse(r.Attribute("height")!.Value));
        var boxes = svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "scope")
            .ToDictionary(g => (string)g.Attribute("data-name")!, g => Rect(g.Element(Svg + "rect")!));
        var nodes = svg.Descendants(Svg + "g").Where(g => ((string?)g.Attribute("class"))?.StartsWith("node ") == true && g.Attribute("data-name") is not null)
            .ToDictionary(g => (string)g.Attribute("data-name")!, g => Rect(g.Element(Svg + "rect")!));
        static bool Inside((double X, double Y, double W, double H) a, (double X, double Y, double W, double H) b) =>
            a.X >= b.X && a.Y >= b.Y && a.X + a.W <= b.X + b.W && a.Y + a.H <= b.Y + b.H;
        static bool Apart((double X, double Y, double W, double H) a, (double X, double Y, double W, double H) b) =>
            a.X + a.W <= b.X || b.X + b.W <= a.X || a.Y + a.H <= b.Y || b.Y + b.H <= a.Y;
        foreach (var (name, box) in boxes)
        {
            foreach (var (other, o) in boxes)
                if (name != other && !other.StartsWith(name + "/") && !name.StartsWith(other + "/"))
                    Assert.That(Apart(box, o), $"scope boxes {name} and {other} overlap");
            foreach (var (node, n) in nodes)
                Assert.That(Inside(n, box), Is.EqualTo(node.StartsWith(name + "/") || node == name), $"node {node} and box {name}");
        }
        var list = nodes.ToList();
        for (int i = 0; i < list.Count; i++)
            for (int j = i + 1; j < list.Count; j++)
                Assert.That(Apart(list[i].Value, list[j].Value), $"nodes {list[i].Key} and {list[j].Key} overlap");
    }

    [Test]
    public void RenderCollapsesAScopeIntoOneNode()
    {
        var svgPath = Temp("xor.svg");
        var (code, _, err) = Dataflow("render", Fixture("xor.meta"), "-o", svgPath, "--collapse", "gradients");
        Assert.That(code, Is.EqualTo(0), err);
        var svg = XDocument.Load(svgPath).Root!;
        var gradients = svg.Descendants(Svg + "g").Single(g => (string?)g.Attribute("data-name") == "gradients" && ((string?)g.Attribute("class"))!.StartsWith("node"));
        Assert.That(gradients.Attribute("class")!.Value, Is.EqualTo("node scope-node"));
        var inGradients = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixture("xor.meta"))).GraphDef.Node.Count(n => n.Name.StartsWith("gradients/"));
        Assert.That(gradients.Elements(Svg + "text").Select(t => t.Value), Is.EqualTo(new[] { "gradients", $"{inGradients} ops" }));
        Assert.That(svg.Descendants(Svg + "g").Select(g => (string?)g.Attribute("data-name")), Has.None.StartsWith("gradients/"));

        var (missing, _, message) = Dataflow("render", Fixture("xor.meta"), "-o", svgPath, "--collapse", "nowhere");
        Assert.That(missing, Is.EqualTo(1));
        Assert.That(message.Trim(), Is.EqualTo("dataflow: error: --collapse nowhere: the graph has no name scope 'nowhere'."));
    }

    [Test]
    public void RenderDrawsALoopsBackEdgeAndOpsDataflowNetLacks()
    {
        var svgPath = Temp("while.svg");
        Assert.That(Dataflow("render", Fixture("graph-while-loop.pbtxt"), "-o", svgPath).Code, Is.EqualTo(0));
        var svg = XDocument.Load(svgPath).Root!;
        var back = svg.Descendants(Svg + "path").Single(p => (string?)p.Attribute("class") == "edge back");
        Assert.That((back.Attribute("data-from")!.Value, back.Attribute("data-to")!.Value), Is.EqualTo(("while/NextIteration", "while/Merge")));

        Assert.That(Dataflow("render", UnknownOpGraph(), "-o", svgPath).Code, Is.EqualTo(0));
        svg = XDocument.Load(svgPath).Root!;
        var unknown = svg.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "node unknown");
        Assert.That(unknown.Attribute("data-name")!.Value, Is.EqualTo("erf/Erf"));
        var label = svg.Descendants(Svg + "text").Single(t => (string?)t.Attribute("class") == "edge-label" && (string?)t.Attribute("data-from") == "erf/Erf");
        Assert.That(label.Value, Is.EqualTo("(3,)"), "the shape the file records");
    }

    // ---------- convert ----------
    [Test]
    public void ConvertRoundTripsBinaryTextBinary()
    {
        var (a, b, c) = (Temp("a.pb"), Temp("b.pbtxt"), Temp("c.pb"));
        Assert.That(Dataflow("convert", Fixture("const-values.pbtxt"), a).Code, Is.EqualTo(0));
        var (code, output, _) = Dataflow("convert", a, b);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output.Trim(), Is.EqualTo($"wrote {b} (3 nodes)"));
        Assert.That(Dataflow("convert", b, c).Code, Is.EqualTo(0));
        Assert.That(GraphDef.LooksLikeText(File.ReadAllBytes(a)), Is.False);
        Assert.That(GraphDef.LooksLikeText(File.ReadAllBytes(b)), Is.True);
        Assert.That(File.ReadAllBytes(c), Is.EqualTo(File.ReadAllBytes(a)));
        Assert.That(GraphDef.Read(c), Is.EqualTo(GraphDef.Read(Fixture("const-values.pbtxt"))));
        Assert.That(File.ReadAllText(b), Is.EqualTo(GraphDef.Read(a).ToText()));
    }

    [Test]
    public void ConvertTakesTheGraphOutOfAMetaGraph()
    {
        var pb = Temp("xor.pb");
        Assert.That(Dataflow("convert", Fixture("xor.meta"), pb).Code, Is.EqualTo(0));
        Assert.That(GraphDef.Read(pb), Is.EqualTo(MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixture("xor.meta"))).GraphDef));
        var (code, _, err) = Dataflow("convert", Fixture("add.pbtxt"), Temp("add.json"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err.Trim(), Does.EndWith("cannot tell the format from '.json'; write .pb (binary) or .pbtxt (text)."));
    }

    // ---------- malformed files and command lines ----------
    private static readonly string[] Commands = ["inspect", "run", "render", "convert"];

    private (int Code, string Out, string Err) OnFile(string command, string path) => command switch
    {
        "run" => Dataflow("run", path, "--fetch", "x"),
        "render" => Dataflow("render", path, "-o", Temp("out.svg")),
        "convert" => Dataflow("convert", path, Temp("out.pbtxt")),
        _ => Dataflow(command, path),
    };

    [Test]
    public void MalformedAndTruncatedFilesFailInOneLineWithExitCode1()
    {
        var random = new Random(7);
        var garbage = new byte[512];
        random.NextBytes(garbage);
        var valid = File.ReadAllBytes(Fixture("xor.meta"));
        var constValues = GraphDef.Read(Fixture("const-values.pbtxt")).SerializeToString();
        var files = new Dictionary<string, (byte[] Bytes, string Message)>
        {
            ["garbage.pb"] = (garbage, "is not a valid GraphDef"),
            ["truncated.pb"] = (constValues[..(constValues.Length / 2)], "is not a valid GraphDef"),
            ["truncated.meta"] = (valid[..(valid.Length / 3)], "is not a valid MetaGraphDef"),
            ["garbage.meta"] = (garbage, "is not a valid MetaGraphDef"),
            ["bad.pbtxt"] = ("node { name: \"a\" op: \"Const\" attr { key: \"value\" value { tensor { dtype: DT_FLOAT"u8.ToArray(), "is not a valid GraphDef: Text format parse error"),
            ["words.pbtxt"] = ("hello world, this is not a graph\n"u8.ToArray(), "is not a valid GraphDef: Text format parse error at line 1"),
            ["empty.pb"] = ([], "is empty."),
            ["nodeless.pbtxt"] = ("versions { producer: 27 }\n"u8.ToArray(), "holds no graph nodes: is it a GraphDef?"),
        };
        foreach (var (name, (bytes, message)) in files)
        {
            var path = Temp(name);
            File.WriteAllBytes(path, bytes);
            foreach (var command in Commands)
            {
                var (code, output, err) = OnFile(command, path);
                Assert.That(code, Is.EqualTo(1), $"{command} {name}");
                Assert.That(err, Does.StartWith($"dataflow: error: {path}").And.Contain(message), $"{command} {name}");
                Assert.That(err.TrimEnd().Split('\n'), Has.Length.EqualTo(1), $"{command} {name}: one line");
                Assert.That(output, Is.Empty, $"{command} {name}");
            }
        }
        foreach (var command in Commands)
        {
            var (code, _, err) = OnFile(command, Temp("absent.pb"));
            Assert.That(code, Is.EqualTo(1));
            Assert.That(err.Trim(), Is.EqualTo($"dataflow: error: {Temp("absent.pb")}: no such file."));
        }
    }

    [TestCase(new string[0], "dataflow: no command given")]
    [TestCase(new[] { "frobnicate" }, "dataflow: unknown command 'frobnicate'")]
    [TestCase(new[] { "inspect", "--colour", "a.pb" }, "dataflow: unknown option '--colour'")]
    [TestCase(new[] { "inspect" }, "dataflow: inspect needs a graph file")]
    [TestCase(new[] { "inspect", "a.pb", "b.pb" }, "dataflow: inspect takes one graph file, got 'a.pb', 'b.pb'")]
    [TestCase(new[] { "run", "a.pb" }, "dataflow: run needs at least one --fetch NAME")]
    [TestCase(new[] { "run", "a.pb", "--fetch" }, "dataflow: option --fetch needs a value")]
    [TestCase(new[] { "render", "a.pb" }, "dataflow: render needs -o OUT.svg")]
    [TestCase(new[] { "convert", "a.pb" }, "dataflow: convert needs an input and an output file")]
    public void CommandLineMistakesPrintUsageWithExitCode2(string[] args, string message)
    {
        var (code, output, err) = Dataflow(args);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(err, Does.StartWith(message + Environment.NewLine + "usage: dataflow <command> [options]"));
    }

    [Test]
    public void HelpPrintsUsage()
    {
        var (code, output, _) = Dataflow("help");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.StartWith("usage: dataflow <command> [options]"));
    }
}
