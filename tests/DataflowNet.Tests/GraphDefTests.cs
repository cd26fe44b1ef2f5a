using DataflowNet;
using DataflowNet.Io.Proto;
using NUnit.Framework;

namespace DataflowNet.Tests;

public class GraphDefTests : GraphTest
{
    private static string Fixture(string name) => Fixtures.Path(name);

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dfn-graphdef-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Test]
    public void AsGraphDefEncodesNodesAttrsAndInputsAsTensorFlowDoes()
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 2), name: "x");
        var w = tf.constant(new float[,] { { 1, 2 }, { 3, 4 } }, name: "w");
        var s = tf.constant(new[] { "a", "b" }, name: "s");
        using (tf.get_default_graph().control_dependencies([s.op]))
            tf.matmul(x, w, transpose_b: true, name: "mm");

        var def = tf.get_default_graph().as_graph_def();
        Assert.That(def.Node.Select(n => n.Name), Is.EqualTo(new[] { "x", "w", "s", "mm" }));
        var px = def.Node[0];
        Assert.That(px.Op, Is.EqualTo("Placeholder"));
        Assert.That(px.Attr["dtype"].Type, Is.EqualTo(Io.Proto.DataType.DtFloat));
        Assert.That(px.Attr["shape"].Shape.Dim.Select(d => d.Size), Is.EqualTo(new long[] { -1, 2 }));
        var tw = def.Node[1].Attr["value"].Tensor;
        Assert.That(tw.TensorContent.ToByteArray(), Is.EqualTo(new float[] { 1, 2, 3, 4 }.SelectMany(BitConverter.GetBytes).ToArray()));
        Assert.That(def.Node[2].Attr["value"].Tensor.StringVal.Select(b => b.ToStringUtf8()), Is.EqualTo(new[] { "a", "b" }));
        var mm = def.Node[3];
        Assert.That(mm.Input, Is.EqualTo(new[] { "x", "w", "^s" }));
        Assert.That(mm.Attr["transpose_b"].B, Is.True);
        Assert.That(mm.Attr["transpose_a"].B, Is.False);
    }

    [Test]
    public void NonZeroOutputsAreNamedWithTheirIndexAndIntListsAsListI()
    {
        var a = tf.constant(new float[] { 1, 2, 3, 4 }, name: "a");
        var parts = tf.split(a, 2, name: "split");
        tf.identity(parts[1], name: "second");
        tf.transpose(tf.reshape(a, new[] { 2, 2 }), name: "t");

        var def = tf.get_default_graph().as_graph_def();
        Assert.That(def.Node.Single(n => n.Name == "second").Input, Is.EqualTo(new[] { "split:1" }));
        var text = def.ToText();
        Assert.That(text, Does.Contain("input: \"split:1\""));
    }

    [Test]
    public void TextFormatLooksLikeTensorFlows()
    {
        tf.placeholder(tf.int32, name: "p");
        tf.constant(new[] { 1, 2 }, name: "c");
        var text = tf.get_default_graph().as_graph_def().ToText();
        Assert.That(text, Does.StartWith("node {\n  name: \"p\"\n  op: \"Placeholder\"\n  attr {\n    key: \"dtype\"\n    value {\n      type: DT_INT32\n    }\n  }\n"));
        Assert.That(text, Does.Contain("      tensor {\n        dtype: DT_INT32\n        tensor_shape {\n          dim {\n            size: 2\n          }\n        }\n        tensor_content: \"\\001\\000\\000\\000\\002\\000\\000\\000\"\n      }\n"));
        Assert.That(text, Does.Contain("shape {\n        unknown_rank: true\n      }"));
        Assert.That(text, Does.EndWith("versions {\n  producer: 134\n}\n"));
    }

    [Test]
    public void TextParserHandlesEscapesCommentsListsAndEnums()
    {
        var def = GraphDef.ParseText("""
            # a comment
            node { name: "n\x41\101\n" op: 'Const'  # trailing comment
              attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape { dim { size: 3 } } int64_val: [1, -2, 0x10] } } }
              attr { key: "dtype" value < type: 9 > }
              attr { key: "l" value { list { i: 1 i: 2 f: [1.5, inf] } } }
            }
            versions { producer: 27 bad_consumers: 1 bad_consumers: 2 }
            """);
        var n = def.Node[0];
        Assert.That(n.Name, Is.EqualTo("nAA\n"));
        Assert.That(n.Op, Is.EqualTo("Const"));
        Assert.That(n.Attr["value"].Tensor.Int64Val, Is.EqualTo(new long[] { 1, -2, 16 }));
        Assert.That(n.Attr["dtype"].Type, Is.EqualTo(Io.Proto.DataType.DtInt64));
        Assert.That(n.Attr["l"].List.I, Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(n.Attr["l"].List.F, Is.EqualTo(new[] { 1.5f, float.PositiveInfinity }));
        Assert.That(def.Versions.BadConsumers, Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void TextParserErrorsNameTheLineAndTheField()
    {
        var e = Assert.Throws<InvalidArgumentException>(() => GraphDef.ParseText("node {\n  name: \"a\"\n  colour: 3\n}"));
        Assert.That(e!.Message, Does.Contain("line 3").And.Contain("colour"));
    }

    [Test]
    public void TextAndBinaryRoundTripToTheSameMessage()
    {
        var x = tf.placeholder(tf.float32, shape: (2, 2), name: "x");
        tf.add(tf.matmul(x, tf.constant(new float[,] { { 0.1f, -2.5f }, { 1e-7f, 3 } })), 1f, name: "y");
        tf.constant(new[] { true, false }, name: "flags");
        tf.constant(new[] { "tab\t", "quote\"", "é", "\0" }, name: "strings");
        var def = tf.get_default_graph().as_graph_def();
        Assert.That(GraphDef.ParseText(def.ToText()), Is.EqualTo(def));
        var copy = new GraphDef();
        copy.ParseFromString(def.SerializeToString());
        Assert.That(copy, Is.EqualTo(def));
    }

    [Test]
    public void WrittenGraphReadBackAndImportedGivesTheSameValues([Values(true, false)] bool asText)
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 2), name: "x");
        var w = tf.constant(new float[,] { { 1, 2 }, { 3, 4 } }, name: "w");
        var y = tf.nn.relu(tf.matmul(x, w) - 5f, name: "out");
        var feed = new float[,] { { 1, 1 }, { 2, -1 } };
        var expected = Eval(y, new FeedDict { { x, feed } }).ToArray<float>();

        var dir = TempDir();
        var path = tf.train.write_graph(tf.get_default_graph(), dir, asText ? "g.pbtxt" : "g.pb", as_text: asText);
        Assert.That(GraphDef.LooksLikeText(File.ReadAllBytes(path)), Is.EqualTo(asText));

        tf.reset_default_graph();
        var imported = tf.import_graph_def(GraphDef.Read(path), return_elements: ["x:0", "out:0", "out"]);
        var (ix, iy) = ((Tensor)imported[0], (Tensor)imported[1]);
        Assert.That(iy.name, Is.EqualTo("import/out:0"));
        Assert.That(imported[2], Is.SameAs(iy.op));
        Assert.That(ix.shape, Is.EqualTo(new TensorShape(-1, 2)));
        Assert.That(Eval(iy, new FeedDict { { ix, feed } }).ToArray<float>(), Is.EqualTo(expected));
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public void ImportedVariablesInitializeAndAssign()
    {
        var v = tf.Variable(tf.constant(new[] { 1, 2, 3 }), name: "v");
        var init = tf.global_variables_initializer();
        var doubled = v.assign(v.value() * 2, name: "double");
        var def = tf.get_default_graph().as_graph_def();

        tf.reset_default_graph();
        tf.import_graph_def(def, name: "");
        var g = tf.get_default_graph();
        using var sess = tf.Session();
        sess.run(g.get_operation_by_name(init.name));
        Assert.That(sess.run(g.get_tensor_by_name(doubled.name)).ToArray<int>(), Is.EqualTo(new[] { 2, 4, 6 }));
    }

    [Test]
    public void InputMapReplacesAPlaceholder()
    {
        var x = tf.placeholder(tf.int32, name: "x");
        tf.multiply(x, 10, name: "out");
        var def = tf.get_default_graph().as_graph_def();

        tf.reset_default_graph();
        var c = tf.constant(new[] { 1, 2 });
        var y = (Tensor)tf.import_graph_def(def, input_map: new Dictionary<string, Tensor> { ["x"] = c }, return_elements: ["out:0"])[0];
        Assert.That(Eval(y).ToArray<int>(), Is.EqualTo(new[] { 10, 20 }));
    }

    [Test]
    public void ImportingWithoutAPrefixRenamesNodesWhoseNamesAreTaken()
    {
        // Feeding your own placeholder, also named "input", into an imported graph: TensorFlow's importer makes the
        // imported names unique (input_1) rather than fail.
        var input = tf.placeholder(tf.float32, name: "input");
        tf.multiply(input, 3f, name: "out");
        var def = tf.get_default_graph().as_graph_def();
        tf.reset_default_graph();
        var mine = tf.placeholder(tf.float32, name: "input");
        var outs = tf.import_graph_def(def, input_map: new Dictionary<string, Tensor> { ["input:0"] = mine }, return_elements: ["out:0", "input"], name: "");
        var y = (Tensor)outs[0];
        Assert.That(y.name, Is.EqualTo("out:0"));
        Assert.That(((Operation)outs[1]).name, Is.EqualTo("input_1"), "the imported placeholder, renamed");
        using var sess = tf.Session();
        AssertValue(sess.run(y, (mine, 2f)), new[] { 6f }, []);
        // A second import of the same graph renames every clashing node, and its edges follow.
        var again = (Tensor)tf.import_graph_def(def, return_elements: ["out:0"], name: "")[0];
        Assert.That(again.name, Is.EqualTo("out_1:0"));
        AssertValue(sess.run(again, (tf.get_default_graph().get_tensor_by_name("input_2:0"), 5f)), new[] { 15f }, []);
    }

    [Test]
    public void InputMapKeysMustNameAnInputAndMayStandForAMissingNode()
    {
        var x = tf.placeholder(tf.int32, name: "x");
        tf.multiply(x, 10, name: "out");
        var def = tf.get_default_graph().as_graph_def();
        tf.reset_default_graph();
        var c = tf.constant(new[] { 1, 2 });
        // A typo would leave the placeholder wired in: TensorFlow refuses it.
        var error = Assert.Throws<InvalidArgumentException>(() => tf.import_graph_def(def, input_map: new Dictionary<string, Tensor> { ["xx"] = c }));
        Assert.That(error!.Message, Is.EqualTo("Attempted to map inputs that were not found in graph_def: [xx:0]"));
        // An extracted subgraph: 'out' reads x, which the GraphDef no longer has; the map supplies it.
        var subgraph = new GraphDef();
        subgraph.Node.Add(def.Node.Where(n => n.Name != "x"));
        var y = (Tensor)tf.import_graph_def(subgraph, input_map: new Dictionary<string, Tensor> { ["x:0"] = c }, return_elements: ["out:0"])[0];
        Assert.That(Eval(y).ToArray<int>(), Is.EqualTo(new[] { 10, 20 }));
    }

    [Test]
    public void ImportUnderAPrefixRenamesColocationToo()
    {
        // As TensorFlow's AddPrefixToNodeDef: loc:@w becomes loc:@import/w, so the exported graph stays valid.
        var w = tf.constant(1f, name: "w");
        tf.identity(w, name: "r").op.Attrs["_class"] = new[] { "loc:@w" };
        var def = tf.get_default_graph().as_graph_def();
        tf.reset_default_graph();
        tf.import_graph_def(def, name: "import");
        var r = tf.get_default_graph().get_operation_by_name("import/r");
        Assert.That(r.get_attr<string[]>("_class"), Is.EqualTo(new[] { "loc:@import/w" }));
    }

    [Test]
    public void ImportedNamesAreTakenSoLaterOpsAndImportsGetNewOnes()
    {
        tf.placeholder(tf.int32, name: "x");
        var def = tf.get_default_graph().as_graph_def();

        tf.reset_default_graph();
        tf.import_graph_def(def, name: "");
        Assert.That(tf.constant(1, name: "x").op.name, Is.EqualTo("x_1"));
        var again = tf.import_graph_def(def, return_elements: ["x"]);
        var third = tf.import_graph_def(def, return_elements: ["x"]);
        Assert.That(((Operation)again[0]).name, Is.EqualTo("import/x"));
        Assert.That(((Operation)third[0]).name, Is.EqualTo("import_1/x"));
    }

    [Test]
    public void AddFixtureFedTwoAndThreeGivesFive()
    {
        var def = GraphDef.Read(Fixture("add.pbtxt"));
        Assert.That(def.Versions.Producer, Is.EqualTo(27));
        // The fixture lists the Add node before its inputs.
        tf.import_graph_def(def);
        var g = tf.get_default_graph();
        var sum = g.get_tensor_by_name("import/Add:0");
        var feeds = new FeedDict { { g.get_tensor_by_name("import/input0:0"), 2 }, { g.get_tensor_by_name("import/input1:0"), 3 } };
        Assert.That(Eval(sum, feeds).item<int>(), Is.EqualTo(5));
    }

    [Test]
    public void ConstValuesFixtureGivesTheReadmeValues()
    {
        tf.import_graph_def(GraphDef.Read(Fixture("const-values.pbtxt")), name: "");
        var g = tf.get_default_graph();
        AssertValue(Eval(g.get_tensor_by_name("x:0")), new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        AssertValue(Eval(g.get_tensor_by_name("y:0")), new long[] { 1, 3, 2, 5, 4, 7 }, [2, 3]);
        AssertValue(Eval(g.get_tensor_by_name("z:0")), new[] { 1, 3, 2, 5, 4, 7 }, [2, 3]);
        Assert.That(g.get_operation_by_name("x").device, Is.EqualTo("/device:CPU:0"));
    }

    [Test]
    public void FixturesSurviveAWriteAndReadBack()
    {
        foreach (var name in new[] { "add.pbtxt", "const-values.pbtxt", "graph-while-loop.pbtxt" })
        {
            var def = GraphDef.Read(Fixture(name));
            Assert.That(GraphDef.ParseText(def.ToText()), Is.EqualTo(def), name);
            var dir = TempDir();
            var again = GraphDef.Read(tf.train.write_graph(def, dir, "g.pb", as_text: false));
            Assert.That(again, Is.EqualTo(def), name);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void ImportErrorsNameTheNode()
    {
        var missing = GraphDef.ParseText("node { name: 'a' op: 'Identity' input: 'nowhere:1' }");
        var e1 = Assert.Throws<InvalidArgumentException>(() => tf.import_graph_def(missing));
        Assert.That(e1!.Message, Does.Contain("'a'").And.Contain("'nowhere:1'"));

        var badOutput = GraphDef.ParseText("node { name: 'p' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } } node { name: 'i' op: 'Identity' input: 'p:3' }");
        var e3 = Assert.Throws<InvalidArgumentException>(() => tf.import_graph_def(badOutput));
        Assert.That(e3!.Message, Does.Contain("'p:3'").And.Contain("only 1 outputs"));
    }

    [Test]
    public void UnknownOpTypesFailNamingTheOpAndTheNode()
    {
        var def = GraphDef.ParseText("node { name: 'c' op: 'Const' attr { key: 'dtype' value { type: DT_INT32 } } attr { key: 'value' value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 1 } } } } " +
                                     "node { name: 'odd' op: 'UnheardOfOp' input: 'c' }");
        var e = Assert.Throws<NotFoundException>(() => tf.import_graph_def(def));
        Assert.That(e!.Message, Does.Contain("'UnheardOfOp'").And.Contain("'odd'"));
        Assert.That(tf.get_default_graph().get_operations(), Is.Empty);
    }

    [Test]
    public void XorTrainingGraphWrittenByTensorFlowTrains()
    {
        var def = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixture("xor.meta"))).GraphDef;
        Assert.That(def.Node, Has.Count.EqualTo(71));
        // The file's initializers are unseeded (random each run), and XOR sometimes sticks at a dead-ReLU plateau:
        // fixed seeds make the test repeatable.
        var seed2 = 0;
        foreach (var n in def.Node.Where(n => n.Op == "TruncatedNormal"))
        {
            n.Attr["seed"] = new AttrValue { I = 7 };
            n.Attr["seed2"] = new AttrValue { I = ++seed2 };
        }
        tf.import_graph_def(def, name: "");
        var g = tf.get_default_graph();
        var feeds = new FeedDict
        {
            { g.get_tensor_by_name("Placeholder:0"), new float[,] { { 1, 0 }, { 1, 1 }, { 0, 0 }, { 0, 1 } } },
            { g.get_tensor_by_name("Placeholder_1:0"), new[] { 1, 0, 0, 1 } },
        };
        var loss = g.get_tensor_by_name("loss:0");
        var train = g.get_operation_by_name("train_op");
        using var sess = tf.Session();
        sess.run(g.get_operation_by_name("init"));
        var first = sess.run(loss, feeds).item<float>();
        float last = first;
        for (int step = 0; step < 5000 && last >= 0.0628f; step++)
        {
            sess.run(train, feeds);
            if (step % 100 == 99) last = sess.run(loss, feeds).item<float>();
        }
        TestContext.Out.WriteLine($"loss {first} -> {last}");
        Assert.That(last, Is.LessThan(0.0628f));
    }
}
