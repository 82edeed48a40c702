"""The network: facilities, their members, patients and each patient's team.

``network.access`` is the one access policy of the whole project.
"""
