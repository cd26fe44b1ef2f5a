using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Graph features: names and name scopes, control dependencies, collections, finalize, default graphs, devices, lookups, the growth warning.</summary>
public class GraphTests : GraphTest
{
    [Test]
    public void OpNamesAreMadeUnique()
    {
        var a = tf.constant(1);
        var b = tf.constant(2);
        Assert.That(a.op.name, Is.EqualTo("Const"));
        Assert.That(b.op.name, Is.EqualTo("Const_1"));
        Assert.That(a.name, Is.EqualTo("Const:0"));
        var s1 = tf.add(a, b, name: "Add");
        var s2 = tf.add(a, b, name: "Add");
        var s3 = tf.add(a, b, name: "Add");
        Assert.That(new[] { s1.op.name, s2.op.name, s3.op.name }, Is.EqualTo(new[] { "Add", "Add_1", "Add_2" }));
        var m1 = tf.matmul(tf.constant(new[,] { { 1f } }), tf.constant(new[,] { { 2f } }));
        var m2 = tf.matmul(m1, m1);
        Assert.That(m1.op.name, Is.EqualTo("MatMul"), "an unnamed op is named after its type");
        Assert.That(m2.op.name, Is.EqualTo("MatMul_1"));
    }

    [Test]
    public void AUniqueNameSkipsNamesAlreadyTakenExplicitly()
    {
        // As TensorFlow: "foo_1" taken first, then "foo" twice gives "foo" and "foo_2".
        var x = tf.constant(1, name: "foo_1");
        var y = tf.constant(1, name: "foo");
        var z = tf.constant(1, name: "foo");
        Assert.That(new[] { x.op.name, y.op.name, z.op.name }, Is.EqualTo(new[] { "foo_1", "foo", "foo_2" }));
    }

    [Test]
    public void NameScopesPrefixNamesAndAreMadeUnique()
    {
        var a = tf.constant(new[,] { { 1f, 2f } });
        var b = tf.constant(new[,] { { 3f }, { 4f } });
        Tensor m1, m1b, m2;
        using (var scope = tf.name_scope("layer1"))
        {
            Assert.That(scope.Name, Is.EqualTo("layer1/"), "TensorFlow's scope string ends in '/'");
            m1 = tf.matmul(a, b);
            m1b = tf.matmul(a, b);
        }
        using (var scope = tf.name_scope("layer1"))
        {
            Assert.That(scope.Name, Is.EqualTo("layer1_1/"));
            m2 = tf.matmul(a, b);
        }
        Assert.That(m1.op.name, Is.EqualTo("layer1/MatMul"));
        Assert.That(m1b.op.name, Is.EqualTo("layer1/MatMul_1"));
        Assert.That(m2.op.name, Is.EqualTo("layer1_1/MatMul"));
        Assert.That(tf.constant(0).op.name, Is.EqualTo("Const_2"), "outside the scope again: a, b, then this");
        Assert.That((float)Eval(m2), Is.EqualTo(11f));
    }

    [Test]
    public void ALiteralOperandIsNamedInsideTheOpsScope()
    {
        // TF: tf.multiply(w, 2.0, name="y") is Mul "y" reading Const "y/y"; the op keeps the name asked for.
        var w = tf.constant(new[] { 4f }, name: "w");
        var y = tf.multiply(w, 2f, name: "y");
        Assert.That(y.op.name, Is.EqualTo("y"));
        Assert.That(y.op.inputs[1].op.name, Is.EqualTo("y/y"));
        Assert.That(tf.get_default_graph().get_tensor_by_name("y:0"), Is.EqualTo(y));
        var z = w * 3f;
        Assert.That((z.op.name, z.op.inputs[1].op.name), Is.EqualTo(("Mul", "Mul/y")));
        Assert.That((tf.multiply(w, w).op.name), Is.EqualTo("Mul_1"), "tensors only: no scope, the op's own unique name");
    }

    [Test]
    public void ANegativeOutputIndexIsNotATensor()
    {
        var c = tf.constant(1f, name: "c");
        Assert.That(tf.get_default_graph().get_tensor_by_name("c:0"), Is.EqualTo(c));
        var e = Assert.Throws<NotFoundException>(() => tf.get_default_graph().get_tensor_by_name("c:-1"));
        Assert.That(e!.Message, Does.Contain("refers to a Tensor which does not exist"));
    }

    [Test]
    public void TheScopeStringNamesAnOpExactly()
    {
        // with tf.name_scope("outer"): with tf.name_scope("block") as scope: y = tf.identity(x, name=scope)
        var x = tf.constant(1f);
        Tensor y, inside;
        using (tf.name_scope("outer"))
        using (var scope = tf.name_scope("block"))
        {
            Assert.That(scope.Name, Is.EqualTo("outer/block/"));
            Assert.That(scope.ToString(), Is.EqualTo("outer/block/"));
            inside = tf.add(x, x);
            y = tf.identity(inside, name: scope.Name);
        }
        Assert.That(inside.op.name, Is.EqualTo("outer/block/AddV2"));
        Assert.That(y.op.name, Is.EqualTo("outer/block"));
        using (var top = tf.name_scope(""))
            Assert.That(top.Name, Is.EqualTo(""), "the top level");
    }

    [Test]
    public void NestedNameScopes()
    {
        Tensor c, d, v;
        using (tf.name_scope("outer"))
        {
            using (tf.name_scope("inner")) c = tf.constant(1, name: "c");
            using (tf.name_scope("inner")) d = tf.constant(1, name: "c");
            v = tf.Variable(0f, name: "w");
        }
        Assert.That(c.op.name, Is.EqualTo("outer/inner/c"));
        Assert.That(d.op.name, Is.EqualTo("outer/inner_1/c"));
        Assert.That(((Variable)v).name, Is.EqualTo("outer/w:0"));
        Assert.That(((Variable)v).op.name, Is.EqualTo("outer/w"));
        Assert.That(tf.get_default_graph().get_operation_by_name("outer/w/Assign").type, Is.EqualTo("Assign"));
    }

    [Test]
    public void ControlDependenciesRunAnUpdateBeforeARead()
    {
        var v = tf.Variable(1f);
        var inc = v.assign_add(1f);
        Tensor read;
        using (tf.control_dependencies(new object[] { inc })) read = v.read_value();
        Assert.That(read.op.control_inputs, Is.EqualTo(new[] { inc.op }));
        using var sess = tf.Session();
        sess.run(v.initializer);
        Assert.That((float)sess.run(read), Is.EqualTo(2f), "the read sees the value after the assign_add");
        Assert.That((float)sess.run(read), Is.EqualTo(3f));
        Assert.That((float)sess.run(v), Is.EqualTo(3f));
    }

    [Test]
    public void ControlDependenciesOrderAnUpdateBeforeArithmeticOnAFreshRead()
    {
        var v = tf.Variable(10);
        Tensor doubled;
        using (tf.control_dependencies(new object[] { v.assign(4) })) doubled = v.read_value() * 2;
        using var sess = tf.Session();
        sess.run(v.initializer);
        Assert.That((int)sess.run(doubled), Is.EqualTo(8));
    }

    [Test]
    public void ControlDependenciesOnAnOperationAndClearingThem()
    {
        var v = tf.Variable(0);
        var group = tf.no_op();
        Tensor inner, cleared;
        using (tf.control_dependencies(new object[] { v.assign_add(5).op, group }))
        {
            inner = tf.identity(tf.constant(1));
            using (tf.control_dependencies(null)) cleared = tf.constant(2);
        }
        Assert.That(inner.op.control_inputs.Select(o => o.type), Is.EquivalentTo(new[] { "AssignAdd", "NoOp" }));
        Assert.That(cleared.op.control_inputs, Is.Empty);
        using var sess = tf.Session();
        sess.run(v.initializer);
        sess.run(inner);
        sess.run(inner);
        Assert.That((int)sess.run(v), Is.EqualTo(10), "each run of the dependent op ran the assign_add");
    }

    [Test]
    public void CollectionsOfVariables()
    {
        var a = tf.Variable(1f, name: "a");
        var b = tf.Variable(2f, name: "b");
        var c = tf.Variable(3f, name: "c", trainable: false);
        Assert.That(tf.global_variables(), Is.EqualTo(new[] { a, b, c }));
        Assert.That(tf.trainable_variables(), Is.EqualTo(new[] { a, b }));
        Assert.That(c.trainable, Is.False);
        Assert.That(tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES), Is.EqualTo(new object[] { a, b }));
        tf.add_to_collection("mine", a);
        tf.add_to_collection("mine", "x");
        Assert.That(tf.get_collection("mine"), Is.EqualTo(new object[] { a, "x" }));
        Assert.That(tf.get_collection("none"), Is.Empty);
        // get_collection returns a copy.
        tf.get_collection("mine").Clear();
        Assert.That(tf.get_collection("mine"), Has.Count.EqualTo(2));
    }

    [Test]
    public void AFinalizedGraphRejectsNewOps()
    {
        var x = tf.constant(3);
        var y = x * 2;
        var g = tf.get_default_graph();
        g.finalize();
        Assert.That(g.finalized, Is.True);
        Assert.Throws<FailedPreconditionException>(() => tf.constant(1));
        Assert.Throws<FailedPreconditionException>(() => _ = x + 1);
        Assert.Throws<FailedPreconditionException>(() => tf.Variable(1f));
        Assert.That((int)Eval(y), Is.EqualTo(6), "a finalized graph still runs");
    }

    [Test]
    public void AsDefaultPutsOpsInTheGivenGraph()
    {
        var outer = tf.get_default_graph();
        var g = new Graph();
        Tensor c;
        using (g.as_default())
        {
            Assert.That(tf.get_default_graph(), Is.SameAs(g));
            c = tf.constant(5, name: "five");
        }
        Assert.That(tf.get_default_graph(), Is.SameAs(outer));
        Assert.That(c.graph, Is.SameAs(g));
        Assert.That(g.get_operations().Select(o => o.name), Is.EqualTo(new[] { "five" }));
        Assert.That(outer.get_operations(), Is.Empty);
        using var sess = tf.Session(g);
        Assert.That((int)sess.run(c), Is.EqualTo(5));
        // A tensor of another graph cannot be fetched or combined.
        using var other = tf.Session();
        Assert.Throws<InvalidArgumentException>(() => other.run(c));
        Assert.Throws<InvalidArgumentException>(() => tf.add(c, tf.constant(1)));
    }

    [Test]
    public void DeviceScopesAreRecordedInCanonicalForm()
    {
        Tensor c, d, e;
        using (tf.device("/cpu:0"))
        {
            c = tf.constant(1);
            using (tf.device("/device:CPU:1")) d = tf.constant(2);
        }
        e = tf.constant(3);
        Assert.That(c.op.device, Is.EqualTo("/device:CPU:0"));
        Assert.That(c.device, Is.EqualTo("/device:CPU:0"));
        Assert.That(d.op.device, Is.EqualTo("/device:CPU:1"));
        Assert.That(e.op.device, Is.EqualTo(""));
        Assert.Throws<InvalidArgumentException>(() => tf.device("/tpu:0"));
        Assert.That((int)Eval(c), Is.EqualTo(1));
    }

    [Test]
    public void GetTensorAndOperationByName()
    {
        Tensor sum;
        using (tf.name_scope("calc")) sum = tf.add(tf.constant(2), tf.constant(3), name: "sum");
        var parts = tf.split(tf.constant(new[] { 1, 2, 3, 4 }), 2);
        var g = tf.get_default_graph();
        Assert.That(g.get_tensor_by_name("calc/sum:0"), Is.EqualTo(sum));
        Assert.That(g.get_operation_by_name("calc/sum"), Is.SameAs(sum.op));
        Assert.That(g.get_tensor_by_name("split:1"), Is.EqualTo(parts[1]));
        Assert.That((int)Eval(g.get_tensor_by_name("calc/sum:0")), Is.EqualTo(5));
        Assert.Throws<NotFoundException>(() => g.get_operation_by_name("calc/nothing"));
        Assert.Throws<NotFoundException>(() => g.get_tensor_by_name("calc/sum:1"));
        Assert.Throws<InvalidArgumentException>(() => g.get_tensor_by_name("calc/sum"));
    }

    [Test]
    public void TheDefaultGraphIsPerThread()
    {
        var mine = tf.get_default_graph();
        tf.constant(1, name: "here");
        Graph? theirs = null;
        Tensor? made = null;
        var thread = new Thread(() =>
        {
            made = tf.constant(2, name: "there");
            theirs = tf.get_default_graph();
        });
        thread.Start();
        thread.Join();
        Assert.That(theirs, Is.Not.Null.And.Not.SameAs(mine));
        Assert.That(made!.graph, Is.SameAs(theirs));
        Assert.That(mine.get_operations().Select(o => o.name), Is.EqualTo(new[] { "here" }));
        Assert.Throws<NotFoundException>(() => mine.get_operation_by_name("there"));
        Assert.That(theirs!.get_operations().Select(o => o.name), Is.EqualTo(new[] { "there" }));
    }

    [Test]
    public void CreatingOpsAfterManyRunsWarnsOnceNamingTheOp()
    {
        var log = new StringWriter();
        var saved = Log.Writer;
        Log.Writer = log;
        try
        {
            var y = tf.constant(1f) + 1f;
            using var sess = tf.Session();
            for (int i = 0; i < 99; i++) sess.run(y);
            tf.constant(2f, name: "early");
            Assert.That(log.ToString(), Is.Empty, "99 runs: no warning yet");
            sess.run(y);
            tf.constant(3f, name: "late");
            tf.constant(4f, name: "later");
            _ = y * 2f;
            sess.run(y);
            var text = log.ToString();
            Assert.That(text, Does.Contain("'late'"));
            Assert.That(text, Does.Not.Contain("'later'"));
            Assert.That(text.Split("WARNING").Length - 1, Is.EqualTo(1), "printed once");
        }
        finally
        {
            Log.Writer = saved;
        }
    }
}
