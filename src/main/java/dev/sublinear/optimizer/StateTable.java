package dev.sublinear.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * What Adafactor holds between steps: a {@link ParameterState} per parameter and device, per device
 * the manager that owns the state arrays and its cached scalars, the groups of parameters stepped
 * together, and state read back by {@code
 * loadState} that waits for its parameter's first update (only then is the device known).
 */
final class StateTable implements AutoCloseable {

    private final Map<String, Map<Device, ParameterState>> states = new ConcurrentHashMap<>();
    private final Map<Device, DeviceResources> devices = new ConcurrentHashMap<>();
    private final Map<String, AdafactorCheckpoint.Entry> restored = new ConcurrentHashMap<>();
    private final ParameterGroups groups = new ParameterGroups();
    private final Predicate<Shape> factored;
    private final boolean momentum;

    /**
     * @param factored whether a parameter of a shape gets a factored second moment
     * @param momentum whether parameters keep a momentum M (beta1 &gt; 0)
     */
    StateTable(Predicate<Shape> factored, boolean momentum) {
        this.factored = factored;
        this.momentum = momentum;
    }

    /**
     * The manager that owns a device's state arrays, the scalars its engine steps use, and on the
     * CPU a work buffer (a GPU's caching allocator hands out temporaries without cost).
     */
    static final class DeviceResources {
        final NDManager manager;
        final DeviceScalars scalars;
        final Scratch scratch;

        private DeviceResources(NDManager manager) {
            this.manager = manager;
            this.scalars = new DeviceScalars(manager);
            this.scratch = manager.getDevice().isGpu() ? null : new Scratch(manager);
        }
    }

    /** The resources of the weight's device, created at its first parameter. */
    DeviceResources device(NDArray weight) {
        return devices.computeIfAbsent(
                weight.getDevice(), d -> new DeviceResources(weight.getManager().newSubManager(d)));
    }

    /** The state of a parameter on a device: restored if loaded, else zeros at its first update. */
    ParameterState state(String parameterId, NDArray weight, DeviceResources device) {
        return states.computeIfAbsent(parameterId, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(device.manager.getDevice(), d -> create(parameterId, weight, device.manager));
    }

    private ParameterState create(String parameterId, NDArray weight, NDManager manager) {
        DataType type = weight.getDataType();
        if (!type.isFloating()) {
            throw new IllegalArgumentException(
                    "Adafactor updates floating-point parameters only; " + parameterId + " is " + type);
        }
        Shape shape = weight.getShape();
        boolean factor = factored.test(shape);
        AdafactorCheckpoint.Entry saved = restored.get(parameterId);
        if (saved != null) {
            return saved.restore(parameterId, shape, type, factor, momentum, manager);
        }
        List<NDArray> arrays = new ArrayList<>();
        for (Shape s : ParameterState.arrayShapes(shape, factor, momentum)) {
            arrays.add(manager.zeros(s, DataType.FLOAT32));
        }
        return new ParameterState(shape, type, factor, arrays, momentum, 0);
    }

    /**
     * Keeps saved state for the parameters' first updates.
     *
     * @throws IllegalStateException if a parameter has already been updated
     */
    void restore(Map<String, AdafactorCheckpoint.Entry> entries) {
        if (!states.isEmpty()) {
            throw new IllegalStateException("loadState must come before the first update");
        }
        restored.clear();
        restored.putAll(entries);
    }

    /** Parameter id to its state per device, in parameter id order. */
    SortedMap<String, Map<Device, ParameterState>> byParameter() {
        return new TreeMap<>(states);
    }

    Collection<DeviceResources> devices() {
        return devices.values();
    }

    /** The state of parameters that are stepped together. */
    ParameterGroups groups() {
        return groups;
    }

    /** Frees the state and scratch arrays. */
    @Override
    public void close() {
        for (DeviceResources d : devices.values()) {
            d.manager.close();
        }
        devices.clear();
        states.clear();
        groups.clear();
    }
}
