"""Keep certificates and VPN numbers in step with the network's facilities and memberships."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from network.models import Facility, FacilityMembership, FacilityStatus


@receiver(post_save, sender=Facility, dispatch_uid="trust_facility_deregistered")
def facility_saved(sender, instance, **kwargs):
    if instance.status == FacilityStatus.DEREGISTERED:
        from .services import facility_deregistered

        facility_deregistered(instance)


@receiver(post_save, sender=FacilityMembership, dispatch_uid="trust_membership_ended")
def membership_saved(sender, instance, **kwargs):
    """A person who leaves a facility loses the certificates issued through it."""
    if instance.until is None:
        return
    from .models import DeviceCertificate
    from .services import revoke_all_of

    if DeviceCertificate.objects.filter(
        user_id=instance.user_id, facility_id=instance.facility_id, revoked_at__isnull=True
    ).exists():
        revoke_all_of(instance.user, facility=instance.facility, reason="所属の終了")
