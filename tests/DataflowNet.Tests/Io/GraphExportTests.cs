using DataflowNet;
using DataflowNet.Io.Proto;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Exports TensorFlow can load (its required type attributes) and freezing variables into constants.</summary>
public class GraphExportTests : GraphTest
{
    private static NodeDef Node(GraphDef def, string name) => def.Node.Single(n => n.Name == name);
    private static string[] AttrNames(NodeDef n) => n.Attr.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
    private static Io.Proto.DataType TypeAttr(NodeDef n, string key) => n.Attr[key].Type;

    [Test]
    public void ExportedNodesCarryTensorFlowsAttributesExactly()
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 4), name: "x");
        var w = tf.constant(new float[4, 3], name: "w");
        var mm = tf.matmul(x, w, name: "mm");
        var sum = tf.add(mm, 1f, name: "sum");
        var relu = tf.nn.relu(sum, name: "relu");
        tf.identity(relu, name: "id");
        tf.reduce_sum(relu, axis: 1, name: "total");
        tf.reshape(relu, new TensorShape(-1), name: "flat");
        tf.cast(relu, tf.int64, name: "cast");
        tf.shape(relu, name: "dims");
        tf.concat([relu, relu], axis: 1, name: "both");
        tf.stack([relu, relu], name: "stacked");
        tf.gather(relu, tf.constant(new[] { 0 }), axis: 1, name: "picked");
        tf.add_n([relu, relu, relu], name: "three");
        tf.fill(tf.constant(new[] { 2 }), 7, name: "sevens");
        var def = tf.get_default_graph().as_graph_def();

        // The attribute lists of TensorFlow 1.15's op registrations (tensorflow/core/ops/math_ops.cc, array_ops.cc, nn_ops.cc).
        Assert.That(AttrNames(Node(def, "mm")), Is.EqualTo(new[] { "T", "transpose_a", "transpose_b" }));
        Assert.That(AttrNames(Node(def, "sum")), Is.EqualTo(new[] { "T" }));
        Assert.That(AttrNames(Node(def, "relu")), Is.EqualTo(new[] { "T" }));
        Assert.That(AttrNames(Node(def, "id")), Is.EqualTo(new[] { "T" }));
        Assert.That(AttrNames(Node(def, "total")), Is.EqualTo(new[] { "T", "Tidx", "keep_dims" }));
        Assert.That(AttrNames(Node(def, "flat")), Is.EqualTo(new[] { "T", "Tshape" }));
        Assert.That(AttrNames(Node(def, "cast")), Is.EqualTo(new[] { "DstT", "SrcT", "Truncate" }));
        Assert.That(AttrNames(Node(def, "dims")), Is.EqualTo(new[] { "T", "out_type" }));
        Assert.That(AttrNames(Node(def, "both")), Is.EqualTo(new[] { "N", "T", "Tidx" }));
        Assert.That(AttrNames(Node(def, "stacked")), Is.EqualTo(new[] { "N", "T", "axis" }));
        Assert.That(AttrNames(Node(def, "picked")), Is.EqualTo(new[] { "Taxis", "Tindices", "Tparams", "batch_dims" }));
        Assert.That(AttrNames(Node(def, "three")), Is.EqualTo(new[] { "N", "T" }));
        Assert.That(AttrNames(Node(def, "sevens")), Is.EqualTo(new[] { "T", "index_type" }));
        Assert.That(AttrNames(Node(def, "x")), Is.EqualTo(new[] { "dtype", "shape" }));
        Assert.That(AttrNames(Node(def, "w")), Is.EqualTo(new[] { "dtype", "value" }));

        // The values follow the inputs' and outputs' dtypes.
        Assert.That(TypeAttr(Node(def, "mm"), "T"), Is.EqualTo(Io.Proto.DataType.DtFloat));
        Assert.That(TypeAttr(Node(def, "total"), "Tidx"), Is.EqualTo(Io.Proto.DataType.DtInt32));
        Assert.That(TypeAttr(Node(def, "cast"), "SrcT"), Is.EqualTo(Io.Proto.DataType.DtFloat));
        Assert.That(TypeAttr(Node(def, "cast"), "DstT"), Is.EqualTo(Io.Proto.DataType.DtInt64));
        Assert.That(TypeAttr(Node(def, "dims"), "T"), Is.EqualTo(Io.Proto.DataType.DtFloat));
        Assert.That(TypeAttr(Node(def, "dims"), "out_type"), Is.EqualTo(Io.Proto.DataType.DtInt32));
        Assert.That(TypeAttr(Node(def, "sevens"), "T"), Is.EqualTo(Io.Proto.DataType.DtInt32));
        Assert.That(Node(def, "both").Attr["N"].I, Is.EqualTo(2));
        Assert.That(Node(def, "three").Attr["N"].I, Is.EqualTo(3));
        Assert.That(def.ToText(), Does.Contain("  attr {\n    key: \"T\"\n    value {\n      type: DT_FLOAT\n    }\n  }\n"));
    }

    [Test]
    public void EveryRegisteredOpWithTypesHasAnEntryInTheTypeAttributeTable()
    {
        // Ops whose TensorFlow registration has no attribute inferred from inputs: they keep every attribute they need.
        string[] noInferred = ["Const", "Placeholder", "PlaceholderWithDefault", "VariableV2", "NoOp", "LogicalAnd", "LogicalOr", "LogicalNot", "LoopCond",
                               "SaveV2", "RestoreV2"]; // the checkpoint ops keep their dtypes list
        // The library's own ops (those with a CPU kernel); other tests register ops of their own.
        var missing = CpuDevice.Instance.BuiltinOpTypes.Where(t => !Io.TypeAttrs.Knows(t) && !noInferred.Contains(t)).Order(StringComparer.Ordinal).ToList();
        Assert.That(missing, Is.Empty, "add each to Io/TypeAttrs.cs with the attributes of its TensorFlow REGISTER_OP");
    }

    [Test]
    public void ConvolutionAndComparisonNodesNameTheirTypes()
    {
        var x = tf.placeholder(tf.float32, shape: (1, 4, 4, 1), name: "x");
        tf.nn.conv2d(x, tf.ones((2, 2, 1, 3)), strides: [1, 1], padding: "SAME", name: "conv");
        tf.equal(x, 0f, name: "zero");
        tf.where(tf.equal(x, 0f), x, x, name: "pick");
        var def = tf.get_default_graph().as_graph_def();
        Assert.That(AttrNames(Node(def, "conv")), Is.EqualTo(new[] { "T", "data_format", "dilations", "padding", "strides" }));
        Assert.That(AttrNames(Node(def, "zero")), Is.EqualTo(new[] { "T" }));
        Assert.That(TypeAttr(Node(def, "pick"), "T"), Is.EqualTo(Io.Proto.DataType.DtFloat));
    }

    [Test]
    public void VariablesAndTrainingOpsCarryTheirTypeAttributes()
    {
        var v = tf.Variable(tf.constant(new[] { 1.0f, 2.0f }), name: "v");
        var loss = tf.reduce_sum(tf.square(v), name: "loss");
        tf.train.GradientDescentOptimizer(0.1f).minimize(loss);
        var def = tf.get_default_graph().as_graph_def();
        Assert.That(AttrNames(Node(def, "v")), Is.EqualTo(new[] { "container", "dtype", "shape", "shared_name" }));
        Assert.That(AttrNames(Node(def, "v/Assign")), Is.EqualTo(new[] { "T", "use_locking", "validate_shape" }));
        Assert.That(AttrNames(Node(def, "v/read")), Is.EqualTo(new[] { "T" }));
        var apply = def.Node.Single(n => n.Op == "ApplyGradientDescent");
        Assert.That(AttrNames(apply), Is.EqualTo(new[] { "T", "use_locking" }));
        Assert.That(def.Node.Where(n => n.Op is not ("Const" or "NoOp" or "VariableV2")).Select(n => n.Attr.ContainsKey("T") || n.Attr.ContainsKey("Tidx")),
                    Is.All.True, "every computing op names its types");
    }

    [Test]
    public void ImportOfAnExportKeepsTheAttributesAndEvaluatesTheSame([Values(true, false)] bool asText)
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 3), name: "x");
        var y = tf.reduce_mean(tf.concat([tf.nn.relu(x * 2f - 1f), tf.expand_dims(tf.cast(tf.shape(x), tf.float32), 0)[":, :1"] * tf.ones((1, 3))], axis: 0), axis: 0, name: "y");
        var z = tf.reshape(tf.transpose(tf.expand_dims(x, 0), new[] { 0, 2, 1 }), new TensorShape(3, -1), name: "z");
        var feed = new float[,] { { 1, -2, 3 }, { 0.5f, 4, -1 } };
        var (expectedY, expectedZ) = (Eval(y, new FeedDict { { x, feed } }), Eval(z, new FeedDict { { x, feed } }));
        var (yName, zName) = (y.name, z.name);
        var def = tf.get_default_graph().as_graph_def();
        var bytes = asText ? null : def.SerializeToString();
        var text = asText ? def.ToText() : null;

        tf.reset_default_graph();
        GraphDef again;
        if (asText) again = GraphDef.ParseText(text!);
        else { again = new GraphDef(); again.ParseFromString(bytes!); }
        tf.import_graph_def(again, name: "");
        var g = tf.get_default_graph();
        var feeds = new FeedDict { { g.get_tensor_by_name("x:0"), feed } };
        Assert.That(Eval(g.get_tensor_by_name(yName), feeds).ToArray<float>(), Is.EqualTo(expectedY.ToArray<float>()));
        Assert.That(Eval(g.get_tensor_by_name(zName), feeds).ToArray<float>(), Is.EqualTo(expectedZ.ToArray<float>()));
        // Exported again, each node is the same NodeDef (the import orders them by dependency): TensorFlow's
        // attributes came in and go out unchanged.
        var byName = g.as_graph_def().Node.ToDictionary(n => n.Name);
        Assert.That(byName.Keys, Is.EquivalentTo(again.Node.Select(n => n.Name)));
        foreach (var n in again.Node) Assert.That(byName[n.Name], Is.EqualTo(n), n.Name);
    }

    [Test]
    public void FrozenGraphGivesTheSessionsOutputs()
    {
        tf.set_random_seed(3);
        var x = tf.placeholder(tf.float32, shape: (-1, 2), name: "x");
        var target = tf.placeholder(tf.float32, shape: (-1, 1), name: "target");
        var hidden = tf.layers.dense(x, 4, activation: tf.nn.relu);
        var output = tf.identity(tf.layers.dense(hidden, 1), name: "output");
        var loss = tf.reduce_mean(tf.square(output - target), name: "loss");
        var train = tf.train.GradientDescentOptimizer(0.05f).minimize(loss);
        var inputs = new float[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } };
        var targets = new float[,] { { 0 }, { 1 }, { 1 }, { 2 } };

        GraphDef frozen;
        TensorValue expected;
        using (var sess = tf.Session())
        {
            sess.run(tf.global_variables_initializer());
            for (int i = 0; i < 5; i++) sess.run(train, (x, inputs), (target, targets));
            expected = sess.run(output, (x, inputs));
            frozen = tf.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(), ["output"]);
        }

        Assert.That(frozen.Node.Select(n => n.Op), Has.None.EqualTo("VariableV2").And.None.EqualTo("Assign").And.None.EqualTo("ApplyGradientDescent"));
        Assert.That(frozen.Node.Select(n => n.Name), Does.Not.Contain("target").And.Not.Contain("loss").And.Not.Contain("init"));
        var kernel = Node(frozen, "dense/kernel");
        Assert.That(kernel.Op, Is.EqualTo("Const"));
        Assert.That(Node(frozen, "dense/kernel/read").Input, Is.EqualTo(new[] { "dense/kernel" }));

        var fresh = tf.Graph();
        using (fresh.as_default())
        {
            tf.import_graph_def(frozen, name: "");
            using var sess = tf.Session(fresh);
            var actual = sess.run(fresh.get_tensor_by_name("output:0"), (fresh.get_tensor_by_name("x:0"), inputs));
            Assert.That(actual.shape, Is.EqualTo(new[] { 4, 1 }));
            Assert.That(actual.ToArray<float>(), Is.EqualTo(expected.ToArray<float>()));
        }
    }

    [Test]
    public void FreezingAnUnknownOutputNamesIt()
    {
        var v = tf.Variable(1f, name: "v");
        tf.multiply(v, 2f, name: "doubled");
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var e = Assert.Throws<InvalidArgumentException>(() =>
            tf.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(), ["doubled", "tripled"]));
        Assert.That(e!.Message, Is.EqualTo("Output node 'tripled' is not in the graph_def (it has 7 nodes)."));
    }

    [Test]
    public void FreezingAnUninitializedVariableFailsAsAReadDoes()
    {
        var v = tf.Variable(1f, name: "v");
        tf.multiply(v, 2f, name: "doubled");
        using var sess = tf.Session();
        var e = Assert.Throws<FailedPreconditionException>(() =>
            tf.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(), ["doubled"]));
        Assert.That(e!.Message, Does.Contain("uninitialized value v"));
    }
}
