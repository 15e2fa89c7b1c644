import { createAdmissionPolicy, type AdmissionPolicy } from './admission-policy.ts';
import { createClassScheduler, type ClassScheduler } from './class-scheduler.ts';
import { createDeferralRule, type DeferralRule } from './deferral-rule.ts';
import { parseGateConfig, type GateConfig, type GateConfigInput } from './gate-config.ts';
import { createTenantQuotas, type TenantQuotas } from './tenant-quotas.ts';

/** Every decision the gate takes, as one object separate from the gate's plumbing. */
export interface GatePolicy {
  config: GateConfig;
  admission: AdmissionPolicy;
  classes: ClassScheduler;
  quotas: TenantQuotas;
  deferral: DeferralRule;
}

export function createGatePolicy(raw: GateConfigInput | GateConfig = {}): GatePolicy {
  const config = parseGateConfig(raw);
  return {
    config,
    admission: createAdmissionPolicy(config.admission),
    classes: createClassScheduler(config.priority),
    quotas: createTenantQuotas(config.tenants),
    deferral: createDeferralRule(config.deferral),
  };
}
