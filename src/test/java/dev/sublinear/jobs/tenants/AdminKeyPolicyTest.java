package dev.sublinear.jobs.tenants;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdminKeyPolicyTest {

    @Test
    void weakKeysAreNamedAndStrongOnesPass() {
        assertThat(AdminKeyPolicy.weakness("")).contains("24 to 200 characters");
        assertThat(AdminKeyPolicy.weakness("abc")).contains("24 to 200 characters");
        assertThat(AdminKeyPolicy.weakness("admin")).contains("24 to 200 characters");
        assertThat(AdminKeyPolicy.weakness("a".repeat(201))).contains("24 to 200 characters");
        assertThat(AdminKeyPolicy.weakness("aaaaaaaaaaaabbbbbbbbbbbbbbbb")).contains("different characters");
        assertThat(AdminKeyPolicy.weakness("adminadminadminadminadmin123456789"))
                .contains("well-known word");
        assertThat(AdminKeyPolicy.weakness("passwordpasswordpassword1234")).contains("well-known word");
        assertThat(AdminKeyPolicy.weakness("key with spaces in it 0123456")).contains("printable ASCII");
        assertThat(AdminKeyPolicy.weakness("sl-test-admin-key-0123456789")).isNull();
        assertThat(AdminKeyPolicy.weakness("sk-admin-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6kM9n"))
                .isNull();
    }
}
