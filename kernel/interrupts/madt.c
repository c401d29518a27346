/*
 * ACPI's MADT, read for the interrupt controllers: the local APIC's address,
 * the IOAPIC (address, first GSI), the ISA interrupt overrides (QEMU routes
 * the PIT's IRQ 0 to GSI 2) and the CPUs' APIC ids (for the SMP bring-up).
 * Every table is checked (signature, length, checksum) before it is read.
 */
#include <console/console.h>
#include <lib/string.h>
#include <memory/layout.h>
#include "interrupts_internal.h"

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

static bool acpi_checksum_ok(const void *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

/* The table at phys with signature sig, or NULL (logged) when it is not one. */
static const struct sdt_header *acpi_table(uint64_t phys, const char *sig)
{
	const struct sdt_header *h;

	if (!phys || phys + sizeof(*h) > (4UL << 30))
		return NULL;	/* (the direct map reads the low 4 GiB) */
	h = phys_to_virt(phys);
	if (memcmp(h->signature, sig, 4) != 0)
		return NULL;
	if (h->length < sizeof(*h) || phys + h->length > (4UL << 30) ||
	    !acpi_checksum_ok(h, h->length)) {
		pr_warn("acpi: table %.4s at %lx: bad length %u or checksum\n", sig, phys, h->length);
		return NULL;
	}
	return h;
}

/* The RSDP: GRUB's copy, else the BIOS area's "RSD PTR ". */
static const uint8_t *acpi_find_rsdp(const void *from_boot)
{
	if (from_boot && acpi_checksum_ok(from_boot, 20))
		return from_boot;
	for (uint64_t p = 0xE0000; p < 0x100000; p += 16) {
		const uint8_t *r = phys_to_virt(p);

		if (memcmp(r, "RSD PTR ", 8) == 0 && acpi_checksum_ok(r, 20))
			return r;
	}
	return NULL;
}

/* The MADT among a root table's entries (`width` bytes each: 8 in the
 * XSDT, 4 in the RSDT), or NULL. */
static const struct sdt_header *acpi_madt_in(const struct sdt_header *root, unsigned width)
{
	for (uint32_t off = sizeof(*root); root && off + width <= root->length; off += width) {
		uint64_t p = 0;
		const struct sdt_header *t;

		memcpy(&p, (const uint8_t *)root + off, width);
		if ((t = acpi_table(p, "APIC")))
			return t;
	}
	return NULL;
}

/* The MADT through the XSDT (ACPI 2+) or the RSDT. */
static const struct sdt_header *acpi_find_madt(const uint8_t *rsdp)
{
	uint32_t rsdt;
	uint64_t xsdt = 0;
	const struct sdt_header *madt = NULL;

	memcpy(&rsdt, rsdp + 16, 4);
	if (rsdp[15] >= 2)
		memcpy(&xsdt, rsdp + 24, 8);
	if (xsdt)
		madt = acpi_madt_in(acpi_table(xsdt, "XSDT"), 8);
	return madt ? madt : acpi_madt_in(acpi_table(rsdt, "RSDT"), 4);
}

/* A CPU the MADT lists (enabled); beyond MADT_MAX_CPUS counted, not kept. */
static void madt_add_cpu(struct madt_info *m, uint32_t apic_id)
{
	for (unsigned i = 0; i < m->ncpus && i < MADT_MAX_CPUS; i++)
		if (m->cpu_apic_id[i] == apic_id)
			return;	/* (listed as both xAPIC and x2APIC) */
	if (m->ncpus < MADT_MAX_CPUS)
		m->cpu_apic_id[m->ncpus] = apic_id;
	m->ncpus++;
}

static void madt_entry(struct madt_info *m, const uint8_t *e, uint8_t len)
{
	uint32_t v32;

	switch (e[0]) {
	case 0:	/* processor local APIC: acpi id, apic id, flags (bit 0 enabled) */
		if (len >= 8 && (e[4] & 1))
			madt_add_cpu(m, e[3]);
		break;
	case 9:	/* processor local x2APIC: reserved, x2APIC id, flags, acpi uid */
		if (len >= 16 && (e[8] & 1)) {
			memcpy(&v32, e + 4, 4);
			madt_add_cpu(m, v32);
		}
		break;
	case 1:	/* IOAPIC: id, reserved, address, GSI base (the first one is ours) */
		if (len >= 12 && !m->ioapic_phys) {
			memcpy(&v32, e + 4, 4);
			m->ioapic_phys = v32;
			memcpy(&m->ioapic_gsi_base, e + 8, 4);
		}
		break;
	case 2:	/* interrupt source override: bus 0 (ISA), source, GSI, flags */
		if (len >= 10 && e[2] == 0 && e[3] < 16) {
			memcpy(&m->isa_gsi[e[3]], e + 4, 4);
			memcpy(&m->isa_flags[e[3]], e + 8, 2);
		}
		break;
	case 5:	/* local APIC address override */
		if (len >= 12)
			memcpy(&m->lapic_phys, e + 4, 8);
		break;
	}
}

bool madt_read(const void *rsdp_copy, struct madt_info *m)
{
	const uint8_t *rsdp = acpi_find_rsdp(rsdp_copy);
	const struct sdt_header *madt = rsdp ? acpi_find_madt(rsdp) : NULL;
	const uint8_t *p;
	uint32_t v32;

	*m = (struct madt_info){ 0 };
	for (unsigned i = 0; i < 16; i++)
		m->isa_gsi[i] = i;
	if (!madt)
		return false;
	p = (const uint8_t *)madt;
	memcpy(&v32, p + 36, 4);
	m->lapic_phys = v32;
	for (uint32_t off = 44; off + 2 <= madt->length;) {
		uint8_t len = p[off + 1];

		if (len < 2 || off + len > madt->length) {
			pr_warn("acpi: MADT entry at offset %u has length %u (table is %u bytes)\n",
				off, len, madt->length);
			break;
		}
		madt_entry(m, p + off, len);
		off += len;
	}
	return m->lapic_phys && m->ioapic_phys;
}
