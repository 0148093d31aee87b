package dev.sublinear.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.TensorInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A Hugging Face architecture's parameters under their Hugging Face names, with the shapes its
 * config gives them, and the one strict way to load weights into them: every name once, each with
 * its shape, nothing else, all checked before any parameter is set.
 */
public final class HfParameters {

    private final String family;
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final Map<String, Shape> shapes = new LinkedHashMap<>();

    /** @param family the architecture's name in errors, e.g. "GPT-2" */
    public HfParameters(String family) {
        this.family = family;
    }

    /** Adds a parameter; its shape is set at {@link #prepareShapes()}, so loaded arrays can replace its initializer. */
    public Parameter register(String name, Parameter parameter, Shape shape) {
        byName.put(name, parameter);
        shapes.put(name, shape);
        return parameter;
    }

    /** Every parameter by its Hugging Face name, in the order of the model's state dict. */
    public Map<String, Parameter> byName() {
        return Collections.unmodifiableMap(byName);
    }

    /** The shape of every parameter, by Hugging Face name, as the config defines it. */
    public Map<String, Shape> shapes() {
        return Collections.unmodifiableMap(shapes);
    }

    /** Sets every parameter from {@code weights} (made float32 and attached to {@code manager}). */
    public void load(NDManager manager, Map<String, NDArray> weights) {
        Map<String, Shape> given = new LinkedHashMap<>();
        weights.forEach((name, array) -> given.put(name, array.getShape()));
        check(given);
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (String name : byName.keySet()) {
            arrays.put(name, weights.get(name).toType(DataType.FLOAT32, true));
        }
        setAll(manager, arrays);
    }

    /** Sets every parameter from a safetensors file or set, checked against its headers before any data is read. */
    public void load(NDManager manager, SafetensorsReader reader) throws IOException {
        Map<String, Shape> given = new LinkedHashMap<>();
        for (TensorInfo tensor : reader.tensors()) {
            given.put(tensor.name(), new Shape(tensor.shape()));
        }
        check(given);
        for (Map.Entry<String, Parameter> entry : byName.entrySet()) {
            set(entry.getValue(), reader.read(entry.getKey(), manager));
        }
    }

    /**
     * Refuses, naming every key at fault, weights that miss a name, carry one the architecture does
     * not have, or give a shape the config does not; and any load once the parameters are initialized.
     */
    public void check(Map<String, Shape> given) {
        for (Parameter parameter : byName.values()) {
            requireUninitialized(parameter);
        }
        TreeSet<String> missing = new TreeSet<>(shapes.keySet());
        missing.removeAll(given.keySet());
        TreeSet<String> extra = new TreeSet<>(given.keySet());
        extra.removeAll(shapes.keySet());
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) {
            problems.add("missing " + missing);
        }
        if (!extra.isEmpty()) {
            problems.add("unexpected " + extra);
        }
        for (Map.Entry<String, Shape> entry : shapes.entrySet()) {
            Shape shape = given.get(entry.getKey());
            if (shape != null && !shape.equals(entry.getValue())) {
                problems.add(entry.getKey() + " has shape " + shape + ", the config needs " + entry.getValue());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    family + " weights do not fit the config: " + String.join("; ", problems));
        }
    }

    /** Sets every parameter from already checked arrays, attached to {@code manager}. */
    public void setAll(NDManager manager, Map<String, NDArray> arrays) {
        for (Map.Entry<String, Parameter> entry : byName.entrySet()) {
            NDArray array = arrays.get(entry.getKey());
            array.attach(manager);
            set(entry.getValue(), array);
        }
    }

    /** Gives every parameter not loaded its config shape, for the block's {@code prepare}. */
    public void prepareShapes() {
        for (Map.Entry<String, Parameter> entry : byName.entrySet()) {
            Parameter parameter = entry.getValue();
            if (!parameter.isInitialized() && parameter.getShape() == null) {
                parameter.setShape(shapes.get(entry.getKey()));
            }
        }
    }

    private static void set(Parameter parameter, NDArray array) {
        requireUninitialized(parameter);
        parameter.setArray(array);
        // initialize() skips a block whose parameters all have arrays, so it would not do this
        array.setRequiresGradient(parameter.requiresGradient());
    }

    private static void requireUninitialized(Parameter parameter) {
        if (parameter.isInitialized()) {
            throw new IllegalStateException(
                    parameter.getName() + " is already initialized: load weights before initialize()");
        }
    }
}
