using DataflowNet;
using DataflowNet.Io;
using DataflowNet.Io.Proto;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>MetaGraphDef files: TensorFlow's collections (variables as VariableDef, ops by name) come back as collections.</summary>
public class MetaGraphTests : GraphTest
{
    private static string Fixture(string name) => Fixtures.Path(name);

    [Test]
    public void XorMetaGraphRestoresItsVariablesAndTrainOp()
    {
        var meta = MetaGraph.Read(Fixture("xor.meta"));
        Assert.That(meta.MetaInfoDef.TensorflowVersion, Is.EqualTo("1.13.1"));
        var seed2 = 0;
        foreach (var n in meta.GraphDef.Node.Where(n => n.Op == "TruncatedNormal"))
        {
            n.Attr["seed"] = new AttrValue { I = 7 };
            n.Attr["seed2"] = new AttrValue { I = ++seed2 };
        }
        var g = tf.get_default_graph();
        var saver = tf.train.import_meta_graph(meta);
        Assert.That(saver, Is.Not.Null); // the file has variables but no SaverDef: a new Saver over them

        Assert.That(tf.global_variables().Select(v => v.name), Is.EqualTo(new[] { "Variable:0", "Variable_1:0", "global_step:0" }));
        Assert.That(tf.trainable_variables().Select(v => v.name), Is.EqualTo(new[] { "Variable:0", "Variable_1:0" }));
        Assert.That(tf.global_variables()[0].shape, Is.EqualTo(new TensorShape(2, 8)));
        Assert.That(tf.global_variables()[0].initializer.name, Is.EqualTo("Variable/Assign"));
        var train = g.get_collection<Operation>("train_op").Single();
        Assert.That(train.name, Is.EqualTo("train_op"));

        // The initializer is rebuilt from the imported variables, and the imported train_op trains them.
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var feeds = new FeedDict
        {
            { g.get_tensor_by_name("Placeholder:0"), new float[,] { { 1, 0 }, { 1, 1 }, { 0, 0 }, { 0, 1 } } },
            { g.get_tensor_by_name("Placeholder_1:0"), new[] { 1, 0, 0, 1 } },
        };
        var before = sess.run(tf.global_variables()[0]).ToArray<float>();
        sess.run(train, feeds);
        Assert.That(sess.run(tf.global_variables()[0]).ToArray<float>(), Is.Not.EqualTo(before));
        AssertValue(sess.run(tf.global_variables()[2]), [1], []); // global_step (int32 in this file) counted the step
    }

    [Test]
    public void CondMetaGraphSkipsTheCondContextCollection()
    {
        var meta = MetaGraph.Read(Fixture("cond_test.meta"));
        Assert.That(meta.CollectionDef.Keys, Is.EquivalentTo(new[] { "cond_context" }));
        MetaGraph.Import(tf.get_default_graph(), meta, null);
        AssertValue(Eval(tf.get_default_graph().get_tensor_by_name("cond/Merge:0")), [34], []);
    }

    [Test]
    public void ExportedMetaGraphImportsWithTheSameCollections()
    {
        var x = tf.placeholder(tf.float32, shape: new TensorShape(-1, 2), name: "x");
        var w = tf.Variable(tf.ones(new TensorShape(2, 1)), name: "w");
        var step = tf.train.get_or_create_global_step();
        var frozen = tf.Variable(3f, trainable: false, name: "frozen");
        var loss = tf.reduce_sum(tf.matmul(x, w)) * frozen;
        tf.add_to_collection(GraphKeys.LOSSES, loss);
        var train = tf.train.GradientDescentOptimizer(0.1f).minimize(loss, global_step: step);
        tf.add_to_collection(GraphKeys.TRAIN_OP, train);
        var dir = Path.Combine(Path.GetTempPath(), "dfn-meta-" + Guid.NewGuid().ToString("N"));
        foreach (var asText in new[] { false, true })
        {
            var path = Path.Combine(dir, asText ? "model.pbtxt" : "model.meta");
            using (tf.get_default_graph().as_default()) tf.train.export_meta_graph(path, as_text: asText);
            var g2 = new Graph();
            using (g2.as_default())
            {
                tf.train.import_meta_graph(path);
                Assert.That(tf.global_variables().Select(v => (v.name, v.trainable)),
                            Is.EqualTo(new[] { ("w:0", true), ("global_step:0", false), ("frozen:0", false) }));
                Assert.That(tf.train.get_global_step()!.name, Is.EqualTo("global_step:0"));
                Assert.That(g2.get_collection<Tensor>(GraphKeys.LOSSES).Single().name, Is.EqualTo(loss.name));
                using var sess = tf.Session(g2);
                sess.run(tf.global_variables_initializer());
                sess.run(g2.get_collection<Operation>(GraphKeys.TRAIN_OP).Single(), (g2.get_tensor_by_name("x:0"), new float[,] { { 1, 2 } }));
                // w -= 0.1 * frozen * x^T = [1, 1] - 0.3 * [1, 2]
                AssertValue(sess.run(tf.global_variables()[0]), [0.7f, 0.4f], [2, 1], 1e-6);
            }
        }
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public void TheTensorFlowIdiomSaveThenImportMetaGraphAndRestore()
    {
        // saver.save writes model-3 and model-3.meta; a fresh graph imports the .meta and restores the latest checkpoint.
        var dir = Path.Combine(Path.GetTempPath(), "dfn-meta-restore-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        float[] expected;
        var x = tf.placeholder(tf.float32, shape: new TensorShape(-1, 2), name: "x");
        var w = tf.Variable(new float[,] { { 0.5f, -1f }, { 2f, 0.25f } }, name: "w");
        var y = tf.nn.sigmoid(tf.matmul(x, w), name: "y");
        var train = tf.train.GradientDescentOptimizer(0.3f).minimize(tf.reduce_sum(y));
        var input = new float[,] { { 1, 2 }, { -3, 0.5f } };
        using (var sess = tf.Session())
        {
            sess.run(tf.global_variables_initializer());
            for (int i = 0; i < 3; i++) sess.run(train, (x, input));
            expected = sess.run(y, (x, input)).ToArray<float>();
            var written = tf.train.Saver().save(sess, Path.Combine(dir, "model"), global_step: 3);
            Assert.That(written, Is.EqualTo(Path.Combine(dir, "model-3")));
        }
        var g2 = new Graph();
        using (g2.as_default())
        {
            var saver = tf.train.import_meta_graph(Path.Combine(dir, "model-3.meta"))!;
            using var sess = tf.Session(g2);
            saver.restore(sess, tf.train.latest_checkpoint(dir)!);
            var again = sess.run(g2.get_tensor_by_name("y:0"), (g2.get_tensor_by_name("x:0"), input)).ToArray<float>();
            Assert.That(again, Is.EqualTo(expected)); // bit-identical
        }
        using (new Graph().as_default())
            Assert.That(tf.train.import_meta_graph(Fixture("cond_test.meta")), Is.Null); // no variables, no saver
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public void AnImportedSaverRestoresTheVariablesItsGraphSavedNotEveryVariable()
    {
        // Saver(trainable_variables) with Adam: the slots and beta powers are global variables but not in the
        // checkpoint. TensorFlow's imported saver runs its restore op, which reads only its own keys.
        var dir = Path.Combine(Path.GetTempPath(), "dfn-meta-subset-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var w = tf.Variable(new[] { 1f, 2f }, name: "w");
        tf.train.AdamOptimizer(0.1f).minimize(tf.reduce_sum(w * w));
        var renamed = tf.Variable(new[] { 7f }, name: "other");
        using (var sess = tf.Session())
        {
            sess.run(tf.global_variables_initializer());
            tf.train.Saver(new Dictionary<string, Variable> { ["w"] = w, ["renamed_in_file"] = renamed }).save(sess, Path.Combine(dir, "model"));
        }
        using (var g = new Graph().as_default())
        {
            var saver = tf.train.import_meta_graph(Path.Combine(dir, "model.meta"))!;
            using var sess = tf.Session();
            saver.restore(sess, Path.Combine(dir, "model"));
            AssertValue(sess.run(tf.get_default_graph().get_tensor_by_name("w:0")), new[] { 1f, 2f }, [2]);
            AssertValue(sess.run(tf.get_default_graph().get_tensor_by_name("other:0")), new[] { 7f }, [1]);
        }
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public void ATextMetaGraphAsTensorFlowWritesItImports()
    {
        // export_meta_graph(as_text=True) always writes meta_info_def.stripped_op_list; graphs with functions carry a
        // library. DataflowNet skips those fields (binary files keep them as unknown fields); typos stay errors.
        const string text = """
            meta_info_def {
              stripped_op_list {
                op { name: "Const" output_arg { name: "output" type_attr: "dtype" } attr { name: "value" type: "tensor" } }
                op { name: "Mul" input_arg { name: "x" type_attr: "T" } is_commutative: true }
              }
              tensorflow_version: "1.15.0"
              tensorflow_git_version: "v1.15.0-rc3-22-g590d6ee"
            }
            graph_def {
              node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
                     attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { } float_val: 2.5 } } } }
              node { name: "y" op: "Mul" input: "c" input: "c" attr { key: "T" value { type: DT_FLOAT } } }
              library { function { signature { name: "f" description: "a } in a string" } } }
              versions { producer: 134 }
            }
            """;
        var path = Path.Combine(Path.GetTempPath(), "dfn-text-meta-" + Guid.NewGuid().ToString("N") + ".meta");
        File.WriteAllText(path, text);
        try
        {
            Assert.That(tf.train.import_meta_graph(path), Is.Null, "no variables, no saver");
            AssertValue(Eval(tf.get_default_graph().get_tensor_by_name("y:0")), new[] { 6.25f }, []);
            File.WriteAllText(path, text.Replace("tensorflow_version", "tensorflow_verison"));
            var e = Assert.Throws<InvalidArgumentException>(() => tf.train.import_meta_graph(path));
            Assert.That(e!.Message, Does.Contain("has no field named 'tensorflow_verison'"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void ImportingAMetaGraphTwiceUnderOneScopeGivesTwoSeparateCopies()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dfn-meta-twice-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var w = tf.Variable(new[] { 4f }, name: "w");
        tf.multiply(w, 2f, name: "y");
        using (var sess = tf.Session())
        {
            sess.run(tf.global_variables_initializer());
            tf.train.Saver().save(sess, Path.Combine(dir, "model"));
        }
        using (new Graph().as_default())
        {
            var first = tf.train.import_meta_graph(Path.Combine(dir, "model.meta"), import_scope: "m")!;
            var second = tf.train.import_meta_graph(Path.Combine(dir, "model.meta"), import_scope: "m")!;
            var g = tf.get_default_graph();
            Assert.That(tf.global_variables().Select(v => v.name), Is.EqualTo(new[] { "m/w:0", "m_1/w:0" }), "each copy's variables, as its nodes are named");
            using var sess = tf.Session();
            second.restore(sess, Path.Combine(dir, "model"));
            AssertValue(sess.run(g.get_tensor_by_name("m_1/y:0")), new[] { 8f }, [1]);
            Assert.Throws<FailedPreconditionException>(() => sess.run(g.get_tensor_by_name("m/y:0")), "the first copy is not restored by the second's saver");
            first.restore(sess, Path.Combine(dir, "model"));
            AssertValue(sess.run(g.get_tensor_by_name("m/y:0")), new[] { 8f }, [1]);
            // A name ending in '/' is used as given, as a TensorFlow name scope is.
            var def = g.as_graph_def();
            using (new Graph().as_default())
            {
                tf.import_graph_def(def, name: "s/");
                Assert.That(tf.get_default_graph().get_operation_by_name("s/m/y").type, Is.EqualTo("Mul"));
            }
        }
        Directory.Delete(dir, recursive: true);
    }
}
