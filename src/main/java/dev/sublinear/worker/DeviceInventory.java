package dev.sublinear.worker;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;

/**
 * The devices a worker owns and which of them are free. A GPU runs one job at a time; the CPU of a
 * CPU-only worker runs up to {@code cpuSlots}. A job asking for 0 GPUs gets one device of either kind.
 */
final class DeviceInventory {

    private final List<Device> gpus;
    private final boolean[] gpuBusy;
    private final int cpuSlots;
    private int cpuBusy;

    DeviceInventory(List<String> configured, int cpuSlots) {
        List<String> names = configured == null || configured.isEmpty() ? discover() : configured;
        this.gpus = new ArrayList<>();
        for (String name : names) {
            if (name.startsWith("gpu:")) {
                gpus.add(Device.gpu(Integer.parseInt(name.substring(4))));
            }
        }
        this.gpuBusy = new boolean[gpus.size()];
        this.cpuSlots = gpus.isEmpty() ? cpuSlots : 0;
    }

    private static List<String> discover() {
        int count = Engine.getInstance().getGpuCount();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            names.add("gpu:" + i);
        }
        return names.isEmpty() ? List.of("cpu") : names;
    }

    List<String> names() {
        return gpus.isEmpty()
                ? List.of("cpu")
                : gpus.stream().map(DeviceInventory::name).toList();
    }

    int gpuCount() {
        return gpus.size();
    }

    /** Jobs this worker can run at once. */
    synchronized int slots() {
        return gpus.isEmpty() ? cpuSlots : gpus.size();
    }

    /** The most GPUs a job may ask for now, or -1 if nothing is free. */
    synchronized int maxClaimableGpus() {
        if (gpus.isEmpty()) {
            return cpuBusy < cpuSlots ? 0 : -1;
        }
        int free = 0;
        for (boolean busy : gpuBusy) {
            free += busy ? 0 : 1;
        }
        return free == 0 ? -1 : free;
    }

    /** Takes devices for a job needing {@code gpus} GPUs; the caller checked they are free. */
    synchronized List<Device> allocate(int gpus) {
        if (this.gpus.isEmpty()) {
            cpuBusy++;
            return List.of(Device.cpu());
        }
        List<Device> taken = new ArrayList<>();
        for (int i = 0; i < gpuBusy.length && taken.size() < Math.max(1, gpus); i++) {
            if (!gpuBusy[i]) {
                gpuBusy[i] = true;
                taken.add(this.gpus.get(i));
            }
        }
        return taken;
    }

    synchronized void release(List<Device> devices) {
        for (Device d : devices) {
            if (d.isGpu()) {
                gpuBusy[gpus.indexOf(d)] = false;
            } else {
                cpuBusy--;
            }
        }
    }

    /** Devices in use, as a fraction of all. */
    synchronized double utilisation() {
        if (gpus.isEmpty()) {
            return (double) cpuBusy / cpuSlots;
        }
        int busy = 0;
        for (boolean b : gpuBusy) {
            busy += b ? 1 : 0;
        }
        return (double) busy / gpus.size();
    }

    static String name(Device d) {
        return d.isGpu() ? "gpu:" + d.getDeviceId() : "cpu";
    }
}
